def sequence_diagram(*a, **k): raise NotImplementedError
