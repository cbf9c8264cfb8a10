"""aiagentics: agents as code, and the gateway that runs them."""

__version__ = "0.1.0"
__all__ = ["__version__"]
