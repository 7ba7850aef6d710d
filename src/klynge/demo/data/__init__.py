"""Data packs of the synthetic dataset for jurisdictions other than Denmark."""
