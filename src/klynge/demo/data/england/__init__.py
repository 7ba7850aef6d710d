"""England's data pack for the synthetic dataset: NHS England's 7 regions and the 42
integrated care boards (CSV files here, sources in `registry/data/SOURCES.md`) and
name lists for made-up people, practices and streets (`names.py`)."""
