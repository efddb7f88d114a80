"""The template with ApiAuthorizer=JWT as its default (and a made-up issuer and audience), so
cfn-lint and the SAM transform check the JWT choice too: usage: jwt_variant.py IN OUT."""
import sys

source, target = sys.argv[1:]
text = open(source).read()
defaults = {
    "  ApiAuthorizer:\n    Type: String\n    Default: IAM\n": "  ApiAuthorizer:\n    Type: String\n    Default: JWT\n",
    '  JwtIssuer:\n    Type: String\n    Default: ""\n': '  JwtIssuer:\n    Type: String\n    Default: https://issuer.example.com/\n',
    '  JwtAudience:\n    Type: String\n    Default: ""\n': "  JwtAudience:\n    Type: String\n    Default: maskline-platform\n",
}
for old, new in defaults.items():
    if text.count(old) != 1:
        sys.exit(f"jwt_variant.py: template.yaml no longer has this parameter block:\n{old}")
    text = text.replace(old, new)
open(target, "w").write(text)
