"""The center agent and its backends."""

from c2net.agent.agent import Agent, Held

__all__ = ["Agent", "Held"]
