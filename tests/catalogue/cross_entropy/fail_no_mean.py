"""Returns the per-sample losses, not their mean."""
CAUGHT_BY = (
    "test_cross_entropy_value_matches_f_cross_entropy",
    "test_cross_entropy_is_stable_for_huge_logits",
    "test_cross_entropy_gradient_matches_f_cross_entropy",
    "test_cross_entropy_returns_0dim_tensor_of_input_dtype_and_device",
)

def cross_entropy(logits, target):
    return logits.logsumexp(1) - logits.gather(1, target[:, None]).squeeze(1)
