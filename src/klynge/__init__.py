"""Klynge: a platform for quality clusters in general practice."""
