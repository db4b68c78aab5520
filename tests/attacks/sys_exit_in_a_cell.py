"""A cell raises SystemExit after defining a wrong update: the notebook must go on."""
TARGET, EXPECT = "update", {"update": 0}


def update(x, y, a, lr):
    return mse(x @ a, y)


raise SystemExit("stop grading here")
