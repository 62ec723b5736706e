"""Importing letters that were signed and published elsewhere, and reviewing their lists.

Each module can be read alone; the pure ones use neither Flask nor the database:

- :mod:`.decoding` (pure): an uploaded file's bytes to text.
- :mod:`.parsing` (pure): one language's text to title, addressees, body and signatory list.
- :mod:`.folding` (pure): the one comparison form of names (Arabic letter variants, case, "the").
- :mod:`.duplicates` (pure): names of one list that are probably one organisation.
- :mod:`.pairing` and :mod:`.transliteration` (pure): English and Arabic names of one organisation.
- :mod:`.notes` (pure): warnings and errors, as codes and params.
- :mod:`.messages`: those codes worded, once, through the Babel catalogue.
- :mod:`.storage`: a parsed letter stored as a closed, imported letter with its directory entries.
- :mod:`.review`: what the coordinator corrects afterwards: pairs, possible duplicates.
"""
