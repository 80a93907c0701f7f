"""Torch building blocks of the HMLM: the differentiable prior ODE and hierarchical attention."""
