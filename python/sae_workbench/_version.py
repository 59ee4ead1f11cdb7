# The SAE Workbench version this client speaks to; it must equal the core's (package.json "version").
__version__ = "0.1.0"
