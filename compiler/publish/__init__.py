"""Publish stage: the only stage that writes — the site, the PDFs, exports and the manifest."""
