# Line 2 has a syntax error.
def get_password(account) return "x"
