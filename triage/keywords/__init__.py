"""Lab keyword lists: plain term lists signed like hash sets, matched against search words,
addresses and page titles in the artefact records."""
