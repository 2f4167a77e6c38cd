"""Commands that read results: runs, export, importance, report."""
