"""The minibatch_sgd cell kills its own process before defining anything."""
TARGET, EXPECT = "minibatch_sgd", {"minibatch_sgd": 0}
import os

os._exit(3)
