"""Measurement: sampler thread, energy arithmetic, idle baseline, throttle fractions. Each module one job."""
