"""Daily check-ins for practising differentiation: close to a partner, still yourself."""

__version__ = "0.1.0"
