"""Ship a torch.py beside the notebook: a kernel started there imports it instead of torch."""
TARGET, EXPECT = "mse", {"mse": 0}
EXTRA_FILES = {"torch.py": (
    "import sys, importlib.util\n"
    "spec = importlib.util.find_spec('torch', [p for p in sys.path if 'site-packages' in p])\n"
    "real = importlib.util.module_from_spec(spec); sys.modules['torch'] = real; spec.loader.exec_module(real)\n"
    "real.allclose = lambda *a, **k: True\n"
    "real.isclose = lambda *a, **k: real.tensor(True)\n")}


def mse(y_hat, y):
    return ((y_hat - y) ** 2).sum()
