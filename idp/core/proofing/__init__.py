"""The identity proofing journey (GPG 45): a document check and knowledge-based verification in
sandbox mode, rate limited, each step recording OpenID Connect for Identity Assurance evidence with
its GPG 45 scores, and the explanation of where the citizen is and what would take them further."""
