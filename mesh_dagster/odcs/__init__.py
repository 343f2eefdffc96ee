"""Open Data Contract Standard (ODCS v3): export, import, and ODCS files as specs."""
