"""AVPE Desktop."""
