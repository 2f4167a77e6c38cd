"""Random search: every parameter drawn independently from its distribution, as W&B does."""


def suggest(space, rng) -> dict:
    return space.sample(rng)
