"""c2net: a computing power network.

One pool of compute centers behind one API: describe the work once, get a quote, and the
network runs it on the cheapest center that can, meters it per second and bills it.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
