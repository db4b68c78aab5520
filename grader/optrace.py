"""OpTracer: which aten ops a piece of code reached, whatever Python route it took."""

from torch.utils._python_dispatch import TorchDispatchMode


class OpTracer(TorchDispatchMode):
    """Records the names of the aten ops run under it (below autograd, so every route is seen)."""

    def __init__(self):
        super().__init__()
        self.ops: set[str] = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.add(func.overloadpacket.__name__)
        return func(*args, **(kwargs or {}))
