"""Imported once by Dask's fork server: the checks run once on the reference, so every worker starts warm."""

from grader.sealed.cluster import warm_up

warm_up()
