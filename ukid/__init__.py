"""The ``ukid`` command line: a thin layer over the packages."""
