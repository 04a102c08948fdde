"""Response models of the JSON API: what each `/api/v1/…` answer holds, for the OpenAPI document.

One module per domain, named like the view modules it describes (`home`, `collectivite`,
`contracts`…); shared building blocks in `common`. Field names are the JSON keys as published
(French, or the indicator engine's English keys): renaming one would break users.
See docs/web.md, « Typed answers ».
"""
