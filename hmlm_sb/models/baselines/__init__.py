"""Baselines the HMLM is benchmarked against; all follow :class:`DynamicsModel`.

Registered names (see ``hmlm_sb.models.base.MODEL_REGISTRY``): ``interp``,
``ode-default``, ``ode-fitted``, ``cellbox``, ``gnn``, ``dbn``.
"""
