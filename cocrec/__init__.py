"""cocrec: encrypted, retention-aware incident records for Code of Conduct committees."""

__version__ = "0.1.0"
