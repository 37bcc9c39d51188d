"""furusato-vc: verifiable registration cards for Japan's furusato resident registration."""

__version__ = "0.1.0.dev0"
