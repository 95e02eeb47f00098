"""Sample sources for the demo departments in ``catalogs/``: values, planted faults, writers.

``samples/generate.py`` is the command; this package holds its parts. It reads the catalogs for the
columns, kinds and enumerations of each resource, so a sample file always matches its catalog.
"""
