"""Reach F.cross_entropy through a name built at run time."""
TARGET, EXPECT = "cross_entropy", {"cross_entropy": 0}
import importlib


def cross_entropy(logits, target):
    functional = importlib.import_module("torch.nn." + "functional")
    return getattr(functional, "cross" + "_entropy")(logits, target)
