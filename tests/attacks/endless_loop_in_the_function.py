"""minibatch_sgd never returns."""
TARGET, EXPECT = "minibatch_sgd", {"minibatch_sgd": 0}


def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    while True:
        pass
