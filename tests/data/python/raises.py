PASSWORDS = {}


def boom():
    raise RuntimeError("pythonfile failed on purpose")


boom()
