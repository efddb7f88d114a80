"""Runs the real AWS SAM transform on template.yaml, as `sam deploy`'s changeset does.

cfn-lint validates a SAM template against SAM's schema but does not run the transform, so a
template the deploy would reject can pass it. This runs aws-sam-translator (the library SAM CLI
and CloudFormation's AWS::Serverless transform are built on) the way a deploy would:

- every function's CodeUri is an S3 object, as `sam package` leaves it;
- managed policies come from a stub loader (the real one asks IAM, which needs an account).

Usage: sam_transform.py TEMPLATE [OUT.json]
Prints the transformed CloudFormation JSON (to OUT.json when given). On a template the transform
refuses, prints each error on its own line to stderr and exits 1.
"""

import json
import os
import sys

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ARTIFACT_BUCKET = "maskline-deploy-artifacts"


class StubManagedPolicyLoader:
    """The AWS managed policies SAM may attach by name (none of them are read: only their ARNs)."""

    def load(self):
        names = ["AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole", "AWSXrayWriteOnlyAccess"]
        return {name: f"arn:aws:iam::aws:policy/service-role/{name}" for name in names}


def as_packaged(template):
    """Points every function's code at S3, as `sam package` does after `sam build`."""
    template.get("Globals", {}).get("Function", {}).pop("CodeUri", None)
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = f"s3://{ARTIFACT_BUCKET}/{name}.zip"
    return template


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    # The transform resolves AWS::Region for ARNs; any region gives the same shape.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(argv[1], encoding="utf-8") as f:
        template = as_packaged(yaml_parse(f.read()))
    try:
        transformed = transform(template, {}, StubManagedPolicyLoader())
    except InvalidDocumentException as e:
        print(f"the SAM transform rejects {argv[1]}:", file=sys.stderr)
        for cause in e.causes:
            print(f"  {cause.message}", file=sys.stderr)
        return 1
    text = json.dumps(transformed, indent=1, sort_keys=True)
    if len(argv) == 3:
        with open(argv[2], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
