"""Demo packages (filled in below)."""


def generate_packages(*, seed: int, today) -> None:
    pass


def clear_packages() -> None:
    pass
