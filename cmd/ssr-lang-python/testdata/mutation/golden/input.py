"""Golden sample: one expected output per operator lives beside this file."""


class Account:
    def __init__(self, owner, balance=0):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount):
        """Add money; refuse nonsense."""
        if amount <= 0 or amount is None:
            raise ValueError("amount must be positive")
        self.balance = self.balance + amount * 1
        return self.balance


def transfer(src, dst, amount):
    src.deposit(-amount)
    dst.deposit(amount)  # keep this comment
    audit(src.owner, dst.owner, amount)
    return amount
