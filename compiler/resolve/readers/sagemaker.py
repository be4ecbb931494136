"""Resolve stage: the SageMaker Model Registry reader — model package versions, their reports and training jobs.

    sagemaker://[<source>@]<group>/<version>[#/<field>]              the version number (text); other fields by pointer:
                                                                     #/approval_status, #/arn, #/description, #/status
    sagemaker://[<source>@]<group>/<version>/metadata/<key>          a customer metadata property (text)
    sagemaker://[<source>@]<group>/<version>/metrics#<json-pointer>  one value of the ModelQuality statistics report
    sagemaker://[<source>@]<group>/<version>/metrics/<category>/<report>#<json-pointer>
                                                                     another report: ModelQuality/Constraints,
                                                                     ModelDataQuality/Statistics, Bias/Report, …
    sagemaker://[<source>@]<group>/<version>/training/hyperparameters/<name>   a hyperparameter (text)
    sagemaker://[<source>@]<group>/<version>/training/metrics/<name>           a final metric of the training job

`<version>` is a version number of the model package group, or `@latest-approved`: the newest version
whose approval status is Approved (a newer approved version is drift on `resolve --check`). A Rejected
version, or one no longer in the registry, is refused (`Vanished`). A report is the JSON object in S3
that the package's `ModelMetrics` names; the lock records its ETag and sha256. The training job is the
one `MetadataProperties.GeneratedBy` names (a training-job ARN).

The source names the region and, for an endpoint that serves SageMaker and S3 in place of AWS's own,
`endpoint_url`: boto3 signs every request with the environment's AWS credentials, so that endpoint is
contacted only when `trackers.allow` of docs-compile.yaml lists it. Every call runs under the deadline
and retries of `trackers:` (compiler/resolve/trackers.py), with botocore's own retries switched off.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any

from compiler import __version__
from compiler._util.text import closest
from compiler.resolve.readers.base import Fact, Reader
from compiler.resolve.readers.files import scalar
from compiler.resolve.refs import FactError, Reference, Unreachable, Vanished, json_pointer
from compiler.resolve.trackers import TrackerDown, allowed, bounded
from compiler.schema.governance import SagemakerSource

INSTALL_HINT = "pip install 'docs-compile[sagemaker]'"
LATEST_APPROVED = "@latest-approved"
REPORTS = {
    "ModelQuality": ("Statistics", "Constraints"),
    "ModelDataQuality": ("Statistics", "Constraints"),
    "Bias": ("Report", "PreTrainingReport", "PostTrainingReport"),
    "Explainability": ("Report",),
}
_MAX_REPORT = 64 * 1024 * 1024
_TRAINING_JOB = re.compile(r"^arn:aws[a-z-]*:sagemaker:[^:]*:[^:]*:training-job/(.+)$")
_SHAPES = (
    "expected sagemaker://<group>/<version|@latest-approved>[/metadata/<key> | /metrics[/<category>/<report>]#<pointer>"
    " | /training/hyperparameters|metrics/<name>]"
)


def _iso(moment: Any) -> str | None:
    if not isinstance(moment, datetime):
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def transient(exc: BaseException) -> str | None:
    """Why a call failed when trying again may help (no connection, no answer, throttled, 5xx); None otherwise."""
    from botocore import exceptions as boto

    if isinstance(exc, boto.EndpointConnectionError):
        return "connection refused" if "refused" in str(exc).lower() else "no connection"
    if isinstance(exc, (boto.ConnectTimeoutError, boto.ReadTimeoutError)):
        return "no answer in time"
    if isinstance(exc, boto.ConnectionClosedError):
        return "connection closed"
    if isinstance(exc, boto.ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = exc.response.get("Error", {}).get("Code", "")
        if status == 429 or status >= 500 or code in ("ThrottlingException", "Throttling", "SlowDown"):
            return f"HTTP {status}" if status else code
    return None


def _not_found(exc: BaseException) -> bool:
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    error = exc.response.get("Error", {})
    return error.get("Code") in ("ResourceNotFound", "NoSuchKey", "NoSuchBucket", "404") or (
        error.get("Code") == "ValidationException"
        and ("not found" in error.get("Message", "") or "does not exist" in error.get("Message", ""))
    )


class SagemakerReader(Reader):
    """Facts from a SageMaker Model Registry: model packages, their ModelMetrics reports, their training jobs."""

    scheme = "sagemaker"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[tuple[str, str], Any] = {}
        self._packages: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._reports: dict[tuple[str, str], tuple[Any, dict[str, Any]]] = {}
        self._jobs: dict[tuple[str, str], dict[str, Any]] = {}
        self._down: dict[str, str] = {}  # source id -> why its endpoint did not answer

    def _boto3(self) -> Any:
        try:
            import boto3
        except ImportError:
            raise FactError("reading SageMaker evidence needs boto3, which is not installed", INSTALL_HINT) from None
        return boto3

    def reader_version(self) -> str:
        return f"docs-compile {__version__}, boto3 {self._boto3().__version__}"

    # --- connection --------------------------------------------------------------------------

    def where(self, source: SagemakerSource) -> str:
        return source.endpoint_url or f"SageMaker in {source.region}"

    def client(self, source: SagemakerSource, service: str) -> Any:
        """A boto3 client of the source's region and endpoint; botocore's own retries are off (docs-compile retries)."""
        if (source.id, service) not in self._clients:
            boto3 = self._boto3()
            from botocore.config import Config

            if source.endpoint_url and not allowed(source.endpoint_url, self.context.trackers):
                raise FactError(
                    f"endpoint '{source.endpoint_url}' of SageMaker source '{source.id}' is not allowed: boto3 would "
                    "sign requests to it with the environment's AWS credentials",
                    "list it under `trackers: allow:` in docs-compile.yaml if it is trusted",
                )
            seconds = max(1.0, self.context.limits.deadline)
            config = Config(
                region_name=source.region,
                connect_timeout=seconds,
                read_timeout=seconds,
                retries={"total_max_attempts": 1, "mode": "standard"},
                s3={"addressing_style": "path"} if source.endpoint_url else None,
            )
            session = boto3.session.Session()
            self._clients[(source.id, service)] = session.client(
                service, endpoint_url=source.endpoint_url or None, config=config
            )
        return self._clients[(source.id, service)]

    def api(self, source: SagemakerSource, what: str, service: str, operation: str, **kwargs: Any) -> Any:
        """`<service>.<operation>(**kwargs)` through `call`."""
        method = getattr(self.client(source, service), operation)
        return self.call(source, what, lambda: method(**kwargs))

    def call(self, source: SagemakerSource, what: str, func: Any) -> Any:
        """`func()` under the deadline and retries; Vanished when `what` is not there, Unreachable when no answer."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        where = self.where(source)
        if source.id in self._down:
            raise Unreachable(
                f"{where} of source '{source.id}' did not answer earlier in this run ({self._down[source.id]}); "
                "not contacted again"
            )
        try:
            return bounded(self.context.limits, lambda _left: func(), transient)
        except TrackerDown as down:
            self._down[source.id] = down.reason
            raise Unreachable(
                f"{where} of source '{source.id}' cannot be reached: {down}", self.context.limits.hint()
            ) from None
        except NoCredentialsError:
            raise FactError(
                f"no AWS credentials to read {what} from {where}",
                "set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role",
            ) from None
        except ClientError as exc:
            if _not_found(exc):
                raise Vanished(f"no {what} in {where}", "check the name against the SageMaker console") from None
            error = exc.response.get("Error", {})
            raise FactError(f"{where}: {error.get('Code', 'error')}: {error.get('Message', '')} ({what})") from None
        except BotoCoreError as exc:
            raise FactError(f"{where}: cannot read {what}: {exc}") from None

    # --- references --------------------------------------------------------------------------

    def resolve(self, ref: Reference) -> Fact:
        source = self.context.pick(ref, "sagemaker")
        assert isinstance(source, SagemakerSource)
        parts = ref.parts
        if len(parts) < 2 or not all(parts):
            raise FactError(_SHAPES, "see the reference syntax in docs/evidence.md")
        group, which, rest = parts[0], parts[1], parts[2:]
        package = self.package(source, group, which)
        provenance = self._provenance(source, package, which)
        if not rest:
            record = {
                "version": str(package["ModelPackageVersion"]),  # text, as a version field takes it
                "approval_status": package.get("ModelApprovalStatus", ""),
                "arn": package["ModelPackageArn"],
                "description": package.get("ModelPackageDescription", ""),
                "status": package.get("ModelPackageStatus", ""),
            }
            where = f"#{ref.fragment}" if ref.fragment else "version"
            value = scalar(json_pointer(record, ref.fragment or "/version"), where)
            return Fact(value, provenance | {"kind": "sagemaker.package"})
        if rest[0] == "metadata" and len(rest) >= 2:
            return self._metadata(package, "/".join(rest[1:]), provenance)
        if rest[0] == "metrics" and len(rest) in (1, 3):
            category, report = (rest[1], rest[2]) if len(rest) == 3 else ("ModelQuality", "Statistics")
            return self._report(source, package, category, report, ref.fragment, provenance)
        if rest[0] == "training" and len(rest) >= 3 and rest[1] in ("hyperparameters", "metrics"):
            return self._training(source, package, rest[1], "/".join(rest[2:]), provenance)
        raise FactError(_SHAPES, "see the reference syntax in docs/evidence.md")

    def package(self, source: SagemakerSource, group: str, which: str) -> dict[str, Any]:
        """The model package a reference names (a version number or @latest-approved), described once."""
        key = (source.id, group, which)
        if key not in self._packages:
            arn = self._arn(source, group, which)
            package = self.api(
                source, f"model package {arn}", "sagemaker", "describe_model_package", ModelPackageName=arn
            )
            version = package.get("ModelPackageVersion")
            if package.get("ModelApprovalStatus") == "Rejected":
                raise Vanished(
                    f"version {version} of model package group '{group}' is rejected in {self.where(source)}",
                    "a rejected version is not evidence: document an approved or pending version",
                )
            self._packages[key] = package
        return self._packages[key]

    def _arn(self, source: SagemakerSource, group: str, which: str) -> str:
        """The ARN of a version, found by listing the group (describe needs the ARN of a versioned package)."""
        if which != LATEST_APPROVED and not which.isdigit():
            raise FactError(f"'{which}' is not a version", f"write a version number or {LATEST_APPROVED}")
        self.api(
            source,
            f"model package group '{group}'",
            "sagemaker",
            "describe_model_package_group",
            ModelPackageGroupName=group,
        )
        filters: dict[str, Any] = {"ModelApprovalStatus": "Approved"} if which == LATEST_APPROVED else {}
        summaries = self._list(source, group, filters)
        if which == LATEST_APPROVED:
            if not summaries:
                raise Vanished(
                    f"model package group '{group}' has no approved version in {self.where(source)}",
                    "approve a version, or reference one by its number",
                )
            return str(max(summaries, key=lambda s: s["ModelPackageVersion"])["ModelPackageArn"])
        found = [s for s in summaries if str(s.get("ModelPackageVersion")) == which]
        if not found:
            versions = ", ".join(str(v) for v in sorted(s["ModelPackageVersion"] for s in summaries)) or "none"
            raise Vanished(
                f"no version {which} in model package group '{group}' in {self.where(source)}", f"versions: {versions}"
            )
        return str(found[0]["ModelPackageArn"])

    def _list(self, source: SagemakerSource, group: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
        summaries: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self.api(
                source,
                f"model package group '{group}'",
                "sagemaker",
                "list_model_packages",
                ModelPackageGroupName=group,
                MaxResults=100,
                **filters,
                **({"NextToken": token} if token else {}),
            )
            summaries += page.get("ModelPackageSummaryList", [])
            token = page.get("NextToken")
            if not token:
                return summaries

    def _provenance(self, source: SagemakerSource, package: dict[str, Any], which: str) -> dict[str, Any]:
        found = {
            "source": source.id,
            "region": source.region,
            "endpoint": source.endpoint_url,
            "model_package_group": package.get("ModelPackageGroupName"),
            "arn": package["ModelPackageArn"],
            "version": str(package["ModelPackageVersion"]),
            "follows": LATEST_APPROVED if which == LATEST_APPROVED else None,
            "approval_status": package.get("ModelApprovalStatus"),
            "created": _iso(package.get("CreationTime")),
            "reader": self.reader_version(),
        }
        return {k: v for k, v in found.items() if v not in (None, "")}

    def _metadata(self, package: dict[str, Any], key: str, provenance: dict[str, Any]) -> Fact:
        metadata = package.get("CustomerMetadataProperties") or {}
        if key not in metadata:
            known = sorted(metadata)
            hint = closest(key, known) or f"customer metadata of this version: {', '.join(known) or 'none'}"
            raise FactError(f"version {provenance['version']} has no customer metadata '{key}'", hint)
        return Fact(metadata[key], provenance | {"kind": "sagemaker.metadata", "key": key})

    def _report(
        self,
        source: SagemakerSource,
        package: dict[str, Any],
        category: str,
        report: str,
        pointer: str,
        provenance: dict[str, Any],
    ) -> Fact:
        if report not in REPORTS.get(category, ()):
            shapes = ", ".join(f"{c}/{r}" for c, rs in REPORTS.items() for r in rs)
            raise FactError(f"'{category}/{report}' is not a ModelMetrics report", f"reports: {shapes}")
        metric = ((package.get("ModelMetrics") or {}).get(category) or {}).get(report) or {}
        uri = metric.get("S3Uri")
        if not uri:
            raise FactError(
                f"version {provenance['version']} of '{provenance['model_package_group']}' has no {category} {report} report",
                "register the package with ModelMetrics that name the report's S3 object",
            )
        document, origin = self.report(source, uri)
        where = f"#{pointer}" if pointer else f"the {category} {report} report"
        value = scalar(json_pointer(document, pointer), where)
        extra = {"kind": "sagemaker.report", "report": f"{category}/{report}", "pointer": pointer, **origin}
        return Fact(value, provenance | extra)

    def report(self, source: SagemakerSource, uri: str) -> tuple[Any, dict[str, Any]]:
        """A report's JSON document from S3, read once, with its S3 URI, ETag and sha256."""
        if (source.id, uri) not in self._reports:
            bucket, _, key = uri.removeprefix("s3://").partition("/")
            if not uri.startswith("s3://") or not bucket or not key:
                raise FactError(f"report location '{uri}' is not an s3://<bucket>/<key> URI")

            s3 = self.client(source, "s3")

            def fetch() -> dict[str, Any]:
                answer = s3.get_object(Bucket=bucket, Key=key)
                if answer.get("ContentLength", 0) > _MAX_REPORT:
                    raise FactError(f"report {uri} is larger than 64 MB")
                return {"etag": answer.get("ETag", "").strip('"'), "body": answer["Body"].read()}

            got = self.call(source, f"report {uri}", fetch)
            try:
                document = json.loads(got["body"])
            except ValueError as exc:
                raise FactError(f"report {uri} is not JSON: {exc}") from None
            origin = {"s3_uri": uri, "etag": got["etag"], "sha256": hashlib.sha256(got["body"]).hexdigest()}
            self._reports[(source.id, uri)] = (document, origin)
        return self._reports[(source.id, uri)]

    def _training(
        self, source: SagemakerSource, package: dict[str, Any], section: str, name: str, provenance: dict[str, Any]
    ) -> Fact:
        generated_by = (package.get("MetadataProperties") or {}).get("GeneratedBy", "")
        match = _TRAINING_JOB.match(generated_by)
        if not match:
            raise FactError(
                f"version {provenance['version']} of '{provenance['model_package_group']}' names no training job",
                "register the package with MetadataProperties.GeneratedBy set to the training job's ARN",
            )
        job_name = match.group(1)
        if (source.id, job_name) not in self._jobs:
            self._jobs[(source.id, job_name)] = self.api(
                source, f"training job '{job_name}'", "sagemaker", "describe_training_job", TrainingJobName=job_name
            )
        job = self._jobs[(source.id, job_name)]
        if job.get("TrainingJobStatus") != "Completed":
            raise FactError(
                f"training job '{job_name}' is {job.get('TrainingJobStatus')}, not Completed",
                "facts come only from completed training jobs",
            )
        if section == "hyperparameters":
            values: dict[str, Any] = dict(job.get("HyperParameters") or {})
        else:
            values = {m["MetricName"]: m["Value"] for m in job.get("FinalMetricDataList") or []}
        if name not in values:
            known = sorted(values)
            hint = closest(name, known) or f"{section} of this training job: {', '.join(known) or 'none'}"
            what = "final metric" if section == "metrics" else "hyperparameter"
            raise FactError(f"training job '{job_name}' has no {what} '{name}'", hint)
        extra = {
            "kind": f"sagemaker.training.{section}",
            "key": name,
            "training_job": job_name,
            "training_end_time": _iso(job.get("TrainingEndTime")),
        }
        return Fact(scalar(values[name], f"{section} '{name}'"), provenance | extra)

    # --- staleness ---------------------------------------------------------------------------

    def audit(self, facts: dict[str, dict[str, Any]]) -> list[str]:
        """A reference that follows @latest-approved names a version other than the documented model.version."""
        documented = self.context.source.model.version
        if documented.startswith(f"{self.scheme}://"):
            return []
        findings = set()
        for fact in facts.values():
            if fact.get("follows") == LATEST_APPROVED and fact.get("version") != documented:
                group = fact.get("model_package_group")
                findings.add(
                    f"model.version is '{documented}' but {LATEST_APPROVED} of '{group}' is version {fact['version']}"
                )
        return sorted(findings)
