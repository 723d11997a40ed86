"""The TStreamerInfo of ROOT's ``TMultiGraph`` (class version 2), as ROOT 6.40 describes it.

uproot has no model of TMultiGraph, so it can neither read one without this record in the file
nor supply it when writing; :mod:`.graphs` stores it next to every TMultiGraph it writes. The
bytes are ROOT's own description of the class (members ``TNamed``, ``fGraphs``, ``fFunctions``,
``fHistogram``, ``fMaximum``, ``fMinimum``), taken once from a file ROOT wrote and serialised by
uproot, followed by the empty option string of its entry in the file's list of streamers
(as uproot's own raw streamers are; base64 below); a ``root``-marked test regenerates them
with ROOT and compares.
"""

import base64

RAW = base64.b64decode(
    "QAAD1/////9UU3RyZWFtZXJJbmZvAEAAA8EACkAAABkAAQABAAAAAAABAAALVE11bHRpR3JhcGgA4Ik81QAAAAJA"
    "AAOW/////1RPYmpBcnJheQBAAAOEAAMAAQAAAAAAAAAAAAAAAAYAAAAAQAAAjf////9UU3RyZWFtZXJCYXNlAEAA"
    "AHcAA0AAAG0ABEAAAD4AAQABAAAAAAAAAAAGVE5hbWVkKlRoZSBiYXNpcyBmb3IgYSBuYW1lZCBvYmplY3QgKG5h"
    "bWUsIHRpdGxlKQAAAEMAAAAAAAAAAAAAAAAAAAAA37dKPAAAAAAAAAAAAAAAAARCQVNFAAAAAUAAAIX/////VFN0"
    "cmVhbWVyT2JqZWN0UG9pbnRlcgBAAABmAAJAAABgAARAAAAvAAEAAQAAAAAAAAAAB2ZHcmFwaHMaUG9pbnRlciB0"
    "byBsaXN0IG9mIFRHcmFwaHMAAABAAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAGVExpc3QqQAAAmv//"
    "//9UU3RyZWFtZXJPYmplY3RQb2ludGVyAEAAAHsAAkAAAHUABEAAAEQAAQABAAAAAAAAAAAKZkZ1bmN0aW9ucyxQ"
    "b2ludGVyIHRvIGxpc3Qgb2YgZnVuY3Rpb25zIChmaXRzIGFuZCB1c2VyKQAAAEAAAAAIAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAZUTGlzdCpAAACX/////1RTdHJlYW1lck9iamVjdFBvaW50ZXIAQAAAeAACQAAAcgAEQAAA"
    "QgABAAEAAAAAAAAAAApmSGlzdG9ncmFtKlBvaW50ZXIgdG8gaGlzdG9ncmFtIHVzZWQgZm9yIGRyYXdpbmcgYXhp"
    "cwAAAEAAAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAVUSDFGKkAAAIr/////VFN0cmVhbWVyQmFzaWNU"
    "eXBlAEAAAG8AAkAAAGkABEAAADgAAQABAAAAAAAAAAAIZk1heGltdW0iTWF4aW11bSB2YWx1ZSBmb3IgcGxvdHRp"
    "bmcgYWxvbmcgeQAAAAgAAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAZkb3VibGVAAACK/////1RTdHJl"
    "YW1lckJhc2ljVHlwZQBAAABvAAJAAABpAARAAAA4AAEAAQAAAAAAAAAACGZNaW5pbXVtIk1pbmltdW0gdmFsdWUg"
    "Zm9yIHBsb3R0aW5nIGFsb25nIHkAAAAIAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAGZG91YmxlAA=="
)
