"""Fixtures of tests/test_similarity.py: one student's submission written their own way, and copies of it
in each of the usual disguises, as a copier would make them by hand.

A submission here is {"<grade_id>": cell source, ...} for the solution cells it fills, plus "free": a list of
("code" | "markdown", source) cells added at the end of the notebook.
"""

import textwrap


def _cells(**sources: str) -> dict:
    return {name: textwrap.dedent(text).strip() + "\n" for name, text in sources.items()}


ORIGINAL = {
    **_cells(
        mse='''
        def mse(y_hat, y):
            """Mean squared error."""
            diff = y_hat - y
            sq = diff * diff
            return sq.sum() / diff.numel()
        ''',
        update="""
        def update(x, y, a, lr):
            prediction = x @ a
            loss = mse(prediction, y)
            loss.backward()
            with torch.no_grad():
                step = lr * a.grad
                a.sub_(step)
                a.grad.zero_()
            return loss
        """,
        minibatch_sgd="""
        def batches_of(perm, bs):
            chunks = []
            for start in range(0, len(perm), bs):
                chunks.append(perm[start:start + bs])
            return chunks


        def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
            n_rows = x.shape[0]
            history = []
            for epoch in range(epochs):
                order = torch.randperm(n_rows, generator=generator, device=x.device)
                for chunk in batches_of(order, bs):
                    xb, yb = x[chunk], y[chunk]
                    history.append(float(update(xb, yb, a, lr).detach()))
            return history
        """,
        cross_entropy="""
        def cross_entropy(logits, target):
            top = logits.max(dim=1, keepdim=True).values
            shifted = logits - top
            log_norm = shifted.exp().sum(dim=1).log()
            chosen = shifted[torch.arange(target.shape[0], device=logits.device), target]
            return (log_norm - chosen).mean()
        """,
    ),
    "free": [
        (
            "code",
            textwrap.dedent("""
            a = nn.Parameter(torch.tensor([-1.0, 1.0]))
            trace = minibatch_sgd(x, y, a, lr=0.05, bs=8, epochs=6, generator=torch.Generator().manual_seed(7))
            per_epoch = []
            for e in range(6):
                per_epoch.append(sum(trace[e * 13:(e + 1) * 13]) / 13)
            fig, axes = plt.subplots(1, 2, figsize=(8, 3))
            axes[0].plot(trace, color="tab:orange")
            axes[0].set_yscale("log")
            axes[1].bar(range(6), per_epoch)
            fig.suptitle("minibatch losses, and their mean per epoch")
            plt.tight_layout()
            """).strip(),
        ),
        (
            "markdown",
            "The loss falls fast during the first epoch and then only wobbles around the noise floor; "
            "smaller batches make the wobble larger because each step sees fewer of the hundred points, "
            "while the mean per epoch keeps falling slowly until the third epoch.",
        ),
    ],
}

# Every name the student chose, renamed; the library's names (torch, plt, .sub_, ...) stay, as they must.
RENAMED = {
    **_cells(
        mse='''
        def mse(y_hat, y):
            """Mean squared error."""
            d = y_hat - y
            squares = d * d
            return squares.sum() / d.numel()
        ''',
        update="""
        def update(x, y, a, lr):
            yp = x @ a
            l = mse(yp, y)
            l.backward()
            with torch.no_grad():
                delta = lr * a.grad
                a.sub_(delta)
                a.grad.zero_()
            return l
        """,
        minibatch_sgd="""
        def split_perm(p, size):
            out = []
            for s in range(0, len(p), size):
                out.append(p[s:s + size])
            return out


        def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
            count = x.shape[0]
            losses_seen = []
            for ep in range(epochs):
                p = torch.randperm(count, generator=generator, device=x.device)
                for ids in split_perm(p, bs):
                    bx, by = x[ids], y[ids]
                    losses_seen.append(float(update(bx, by, a, lr).detach()))
            return losses_seen
        """,
        cross_entropy="""
        def cross_entropy(logits, target):
            mx = logits.max(dim=1, keepdim=True).values
            z = logits - mx
            lse = z.exp().sum(dim=1).log()
            picked = z[torch.arange(target.shape[0], device=logits.device), target]
            return (lse - picked).mean()
        """,
    ),
    "free": [
        (
            "code",
            textwrap.dedent("""
            a = nn.Parameter(torch.tensor([-1.0, 1.0]))
            curve = minibatch_sgd(x, y, a, lr=0.05, bs=8, epochs=6, generator=torch.Generator().manual_seed(7))
            means = []
            for k in range(6):
                means.append(sum(curve[k * 13:(k + 1) * 13]) / 13)
            f, ax = plt.subplots(1, 2, figsize=(8, 3))
            ax[0].plot(curve, color="tab:orange")
            ax[0].set_yscale("log")
            ax[1].bar(range(6), means)
            f.suptitle("minibatch losses, and their mean per epoch")
            plt.tight_layout()
            """).strip(),
        ),
        ORIGINAL["free"][1],
    ],
}

# Other comments and docstrings, other layout and quotes; the code is the original's.
REWORDED = {
    **_cells(
        mse="""
        def mse(y_hat, y):
            # squared error, averaged over every element
            diff = (y_hat - y)
            sq = diff*diff   # elementwise square
            return sq.sum()/diff.numel()
        """,
        update='''
        def update(x, y, a, lr):
            """Take one plain gradient step and hand back the loss from before it."""

            prediction = x@a   # model output

            loss = mse(prediction, y)
            loss.backward()   # fills a.grad
            with torch.no_grad():
                # the step itself
                step = lr*a.grad
                a.sub_(step)
                a.grad.zero_()   # so the next call starts clean
            return loss
        ''',
        minibatch_sgd='''
        def batches_of(perm, bs):
            """Cut a permutation into consecutive pieces of bs indices."""
            chunks = [ ]
            for start in range( 0, len(perm), bs ):
                chunks.append( perm[ start : start+bs ] )
            return chunks

        def minibatch_sgd(x, y, a, lr, bs, epochs, generator = None):
            """My minibatch loop."""
            n_rows = x.shape[0]  # number of samples
            history = [ ]
            for epoch in range(epochs):
                # a new shuffle each epoch
                order = torch.randperm(n_rows, generator = generator, device = x.device)
                for chunk in batches_of(order, bs):
                    xb, yb = x[chunk], y[chunk]
                    history.append(float(update(xb, yb, a, lr).detach()))
            return history
        ''',
        cross_entropy='''
        def cross_entropy(logits, target):
            """Stable cross-entropy, written out by hand."""
            top = logits.max(dim = 1, keepdim = True).values   # for stability
            shifted = logits - top
            log_norm = shifted.exp().sum(dim = 1).log()   # log of the partition function
            chosen = shifted[torch.arange(target.shape[0], device = logits.device), target]
            return (log_norm - chosen).mean()
        ''',
    ),
    "free": [
        (
            "code",
            textwrap.dedent("""
            # train once more and look at the curve
            a = nn.Parameter(torch.tensor([-1.0, 1.0]))
            trace = minibatch_sgd(x, y, a, lr = 0.05, bs = 8, epochs = 6, generator = torch.Generator().manual_seed(7))

            per_epoch = []
            for e in range(6):
                per_epoch.append(sum(trace[e*13:(e+1)*13])/13)   # mean loss of each epoch

            fig, axes = plt.subplots(1, 2, figsize = (8, 3))
            axes[0].plot(trace, color = 'tab:orange')
            axes[0].set_yscale('log')   # log scale shows the tail
            axes[1].bar(range(6), per_epoch)
            fig.suptitle('Losses per minibatch, and the mean of each epoch')
            plt.tight_layout()
            """).strip(),
        ),
        ORIGINAL["free"][1],
    ],
}

# Independent statements in another order (each still after what it needs).
REORDERED = {
    **_cells(
        mse=ORIGINAL["mse"],
        update="""
        def update(x, y, a, lr):
            prediction = x @ a
            loss = mse(prediction, y)
            loss.backward()
            with torch.no_grad():
                step = lr * a.grad
                a.sub_(step)
                a.grad.zero_()
            return loss
        """,
        minibatch_sgd="""
        def batches_of(perm, bs):
            chunks = []
            for start in range(0, len(perm), bs):
                chunks.append(perm[start:start + bs])
            return chunks


        def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
            history = []
            n_rows = x.shape[0]
            for epoch in range(epochs):
                order = torch.randperm(n_rows, generator=generator, device=x.device)
                for chunk in batches_of(order, bs):
                    yb, xb = y[chunk], x[chunk]
                    history.append(float(update(xb, yb, a, lr).detach()))
            return history
        """,
        cross_entropy="""
        def cross_entropy(logits, target):
            top = logits.max(dim=1, keepdim=True).values
            shifted = logits - top
            chosen = shifted[torch.arange(target.shape[0], device=logits.device), target]
            log_norm = shifted.exp().sum(dim=1).log()
            return (log_norm - chosen).mean()
        """,
    ),
    "free": [
        (
            "code",
            textwrap.dedent("""
            a = nn.Parameter(torch.tensor([-1.0, 1.0]))
            trace = minibatch_sgd(x, y, a, lr=0.05, bs=8, epochs=6, generator=torch.Generator().manual_seed(7))
            fig, axes = plt.subplots(1, 2, figsize=(8, 3))
            per_epoch = []
            for e in range(6):
                per_epoch.append(sum(trace[e * 13:(e + 1) * 13]) / 13)
            axes[0].plot(trace, color="tab:orange")
            axes[0].set_yscale("log")
            axes[1].bar(range(6), per_epoch)
            fig.suptitle("minibatch losses, and their mean per epoch")
            plt.tight_layout()
            """).strip(),
        ),
        ORIGINAL["free"][1],
    ],
}

# Dead code inserted: unused variables and helpers, a branch that never runs, lines after a return.
PADDED = {
    **_cells(
        mse='''
        def mse(y_hat, y):
            """Mean squared error."""
            unused_scale = 1.0
            diff = y_hat - y
            sq = diff * diff
            if False:
                print("debug", sq.shape)
            return sq.sum() / diff.numel()
            print("never reached")
        ''',
        update="""
        def _sanity(t):
            return bool(t.isfinite().all())


        def update(x, y, a, lr):
            prediction = x @ a
            spare = prediction.detach().clone()
            loss = mse(prediction, y)
            loss.backward()
            with torch.no_grad():
                step = lr * a.grad
                a.sub_(step)
                a.grad.zero_()
            return loss
        """,
        minibatch_sgd="""
        def batches_of(perm, bs):
            chunks = []
            for start in range(0, len(perm), bs):
                chunks.append(perm[start:start + bs])
            return chunks


        def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
            n_rows = x.shape[0]
            history = []
            debug_counter = 0
            for epoch in range(epochs):
                order = torch.randperm(n_rows, generator=generator, device=x.device)
                for chunk in batches_of(order, bs):
                    xb, yb = x[chunk], y[chunk]
                    history.append(float(update(xb, yb, a, lr).detach()))
                if 0:
                    print(epoch)
            return history
        """,
        cross_entropy="""
        def cross_entropy(logits, target):
            top = logits.max(dim=1, keepdim=True).values
            shifted = logits - top
            n_classes = logits.shape[1]
            log_norm = shifted.exp().sum(dim=1).log()
            chosen = shifted[torch.arange(target.shape[0], device=logits.device), target]
            return (log_norm - chosen).mean()
        """,
    ),
    "free": ORIGINAL["free"],
}

# Accumulating loops written as comprehensions.
COMPREHENDED = {
    **_cells(
        mse=ORIGINAL["mse"],
        update=ORIGINAL["update"],
        minibatch_sgd="""
        def batches_of(perm, bs):
            chunks = [perm[start:start + bs] for start in range(0, len(perm), bs)]
            return chunks


        def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
            n_rows = x.shape[0]
            history = []
            for epoch in range(epochs):
                order = torch.randperm(n_rows, generator=generator, device=x.device)
                for chunk in batches_of(order, bs):
                    xb, yb = x[chunk], y[chunk]
                    history.append(float(update(xb, yb, a, lr).detach()))
            return history
        """,
        cross_entropy=ORIGINAL["cross_entropy"],
    ),
    "free": [
        (
            "code",
            textwrap.dedent("""
            a = nn.Parameter(torch.tensor([-1.0, 1.0]))
            trace = minibatch_sgd(x, y, a, lr=0.05, bs=8, epochs=6, generator=torch.Generator().manual_seed(7))
            per_epoch = [sum(trace[e * 13:(e + 1) * 13]) / 13 for e in range(6)]
            fig, axes = plt.subplots(1, 2, figsize=(8, 3))
            axes[0].plot(trace, color="tab:orange")
            axes[0].set_yscale("log")
            axes[1].bar(range(6), per_epoch)
            fig.suptitle("minibatch losses, and their mean per epoch")
            plt.tight_layout()
            """).strip(),
        ),
        ORIGINAL["free"][1],
    ],
}

# Everything at once: renamed, reworded, reordered, padded with dead code, a loop as a comprehension.
DISGUISED = {
    **_cells(
        mse="""
        def mse(y_hat, y):
            # mean of the squared residuals
            r = (y_hat - y)
            tmp_unused = r.shape
            r2 = r*r
            return r2.sum()/r.numel()
        """,
        update='''
        def update(x, y, a, lr):
            """Gradient step."""
            out = x@a
            err = mse(out, y)
            err.backward()
            with torch.no_grad():
                move = lr*a.grad   # step size times gradient
                a.sub_(move)
                a.grad.zero_()
            return err
        ''',
        minibatch_sgd='''
        def pieces(ix, size):
            """Split indices."""
            return [ix[i : i+size] for i in range(0, len(ix), size)]

        def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
            record = [ ]
            total = x.shape[0]
            for _ in range(epochs):
                shuffled = torch.randperm(total, generator=generator, device=x.device)
                for sel in pieces(shuffled, bs):
                    by, bx = y[sel], x[sel]
                    record.append(float(update(bx, by, a, lr).detach()))
                if False:
                    print("epoch done")
            return record
        ''',
        cross_entropy="""
        def cross_entropy(logits, target):
            peak = logits.max(dim=1, keepdim=True).values
            centred = logits - peak   # stability
            target_logit = centred[torch.arange(target.shape[0], device=logits.device), target]
            logz = centred.exp().sum(dim=1).log()
            return (logz - target_logit).mean()
        """,
    ),
    "free": [
        (
            "code",
            textwrap.dedent("""
            # once more, with a plot
            a = nn.Parameter(torch.tensor([-1.0, 1.0]))
            ls = minibatch_sgd(x, y, a, lr = 0.05, bs = 8, epochs = 6, generator = torch.Generator().manual_seed(7))
            avg = [sum(ls[j*13:(j+1)*13])/13 for j in range(6)]
            fg, axs = plt.subplots(1, 2, figsize=(8, 3))
            axs[0].plot(ls, color='tab:orange')
            axs[0].set_yscale('log')
            axs[1].bar(range(6), avg)
            fg.suptitle('loss of each minibatch and the epoch means')
            plt.tight_layout()
            """).strip(),
        ),
        (
            "markdown",
            "The loss falls fast during the first epoch and then only wobbles around the noise floor. "
            "Smaller batches make the wobble larger, because each step sees fewer of the hundred points, "
            "while the mean per epoch keeps falling slowly until the third epoch.",
        ),
    ],
}

DISGUISES = {
    "renamed": RENAMED,
    "reworded": REWORDED,
    "reordered": REORDERED,
    "padded_with_dead_code": PADDED,
    "loops_as_comprehensions": COMPREHENDED,
    "all_disguises_at_once": DISGUISED,
}
