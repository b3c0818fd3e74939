"""Pictures of SMTP: the server's state machine and the sequence of a conversation.

``state_diagram`` draws ``smtplearn.protocol.states.TRANSITIONS`` (the table the
server runs, never a copy) with graphviz; ``sequence_diagram`` draws a
transcript as SVG with our own small renderer (one row per message, one column
per participant). Both return a ``Diagram``: it shows itself in Jupyter, and
``.save("x.svg" | "x.png" | "x.dot")`` exports it. graphviz is imported only
when a picture is rendered.
"""

from smtplearn.diagrams.diagram import Diagram
from smtplearn.diagrams.errors import DotNotFoundError, PngNotAvailableError
from smtplearn.diagrams.sequence_diagram import sequence_diagram
from smtplearn.diagrams.state import state_diagram

__all__ = ["Diagram", "DotNotFoundError", "PngNotAvailableError", "sequence_diagram", "state_diagram"]
