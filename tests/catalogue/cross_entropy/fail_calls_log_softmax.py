"""log_softmax is forbidden too."""
CAUGHT_BY = ("test_cross_entropy_is_written_from_tensor_operations",)

def cross_entropy(logits, target):
    return -logits.log_softmax(1).gather(1, target[:, None]).mean()
