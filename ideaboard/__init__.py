"""ideaboard: an open-source ideation community for customer co-creation."""

__version__ = "0.1.0"
