"""`python -m bot demand ...` (filled by the demands work)."""
