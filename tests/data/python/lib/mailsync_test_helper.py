# Imported by ../offlineimap.py through PYTHONPATH.
NAME = "helper from PYTHONPATH"
