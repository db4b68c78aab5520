"""Returns .item(): a float, no tensor, no graph."""
CAUGHT_BY = (
    "test_cross_entropy_gradient_matches_f_cross_entropy",
    "test_cross_entropy_returns_0dim_tensor_of_input_dtype_and_device",
)

def cross_entropy(logits, target):
    return (logits.logsumexp(1) - logits.gather(1, target[:, None]).squeeze(1)).mean().item()
