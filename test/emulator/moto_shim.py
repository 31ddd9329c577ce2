"""moto_server with the few gaps between moto 5.2 and EC2 that haform's output meets, shimmed.

Each patch makes moto answer as EC2 does; none changes what haform generates. Run as
`python3 moto_shim.py -H 127.0.0.1 -p PORT`, the arguments of moto_server.
"""
import re
import sys

from moto import server
from moto.autoscaling import models as as_models
from moto.ec2.exceptions import InvalidParameterValue
from moto.iam import access_control
from moto.ec2.models import instances
from moto.ec2.models import launch_templates
from moto.ec2.models import security_groups as sg
from moto.route53 import responses as route53

_rule_init = sg.SecurityGroupRule.__init__


def _rule_init_portless(self, ec2_backend, ip_protocol, group_id, from_port, to_port, *args, **kwargs):
    # Gap 1: a rule of a protocol without ports (IP-in-IP is protocol 4) makes moto call int(None);
    # the exception becomes a 500 that the provider retries forever. EC2 stores such rules without ports.
    if from_port is None and to_port is None and ip_protocol not in (None, "-1"):
        _rule_init(self, ec2_backend, "-1", group_id, None, None, *args, **kwargs)
        self.ip_protocol = str(ip_protocol)
        return
    _rule_init(self, ec2_backend, ip_protocol, group_id, from_port, to_port, *args, **kwargs)


sg.SecurityGroupRule.__init__ = _rule_init_portless


# Gap 2: a rule that references a group keeps its description under source_group, but moto reports
# only the CIDR's; every plan would then want to set the description again.
sg.SecurityGroupRule.description = property(
    lambda self: self.ip_range.get("Description") or (self.source_group or {}).get("Description")
)

_modify = sg.SecurityGroupBackend.modify_security_group_rules


def _modify_all_protocols(self, group_id, rules):
    # Gap 3: ModifySecurityGroupRules demands ports even for protocol -1, which has none on EC2.
    for rule in rules.values():
        if str(rule.get("IpProtocol")) == "-1":
            rule.setdefault("FromPort", -1)
            rule.setdefault("ToPort", -1)
    return _modify(self, group_id, rules)


sg.SecurityGroupBackend.modify_security_group_rules = _modify_all_protocols

_create_launch_template = launch_templates.LaunchTemplateBackend.create_launch_template


def _create_launch_template_own_tags_apart(self, name, description, template_data, tag_spec):
    # Gap 4: moto copies the tags of the launch template itself (resource type launch-template) into
    # its first version's data, so the provider reads back a tag_specifications block that the
    # configuration never had, and every plan wants to remove it. EC2 keeps them apart.
    specs = template_data.get("TagSpecifications") or []
    template_data["TagSpecifications"] = [s for s in specs if s.get("ResourceType") != "launch-template"]
    return _create_launch_template(self, name, description, template_data, tag_spec)


launch_templates.LaunchTemplateBackend.create_launch_template = _create_launch_template_own_tags_apart

_create_hosted_zone = route53.Route53.create_hosted_zone


def _create_hosted_zone_private_by_vpc(self):
    # Gap 5: Route 53 makes a zone private when CreateHostedZone names a VPC (PrivateZone is
    # optional, and the provider does not send it); moto reads the VPC only when PrivateZone is set,
    # creates a public zone, and then refuses to associate the VPC with it.
    vpc = self._get_param("VPC.VPCId")
    get_bool = self._get_bool_param
    self._get_bool_param = lambda name, default=None: True if (name == "HostedZoneConfig.PrivateZone" and vpc) else get_bool(name, default)
    try:
        return _create_hosted_zone(self)
    finally:
        del self._get_bool_param


route53.Route53.create_hosted_zone = _create_hosted_zone_private_by_vpc

# Fidelity, not a gap: EC2 refuses to launch an instance whose tags are exposed in instance metadata
# (InstanceMetadataTags=enabled) when a tag key is not allowed there: '/' and spaces among them.
# moto launches it anyway, which is how a blocker once passed every test (kubernetes/cloud-provider-aws#436).
_IMDS_TAG_KEY = re.compile(r"[A-Za-z0-9+\-=._:@]+")
_run_instances = instances.InstanceBackend.run_instances


def _run_instances_checked(self, image_id, count, user_data, security_group_names, **kwargs):
    if kwargs.get("launch_template"):
        data = self._get_template_from_args(kwargs["launch_template"]).data
        if (data.get("MetadataOptions") or {}).get("InstanceMetadataTags") == "enabled":
            keys = list((kwargs.get("tags") or {}).get("instance", {}))
            for spec in data.get("TagSpecifications") or []:
                if spec.get("ResourceType") == "instance":
                    keys += [t.get("Key", "") for t in spec.get("Tags") or []]
            bad = [k for k in keys if k in (".", "..") or not _IMDS_TAG_KEY.fullmatch(k)]
            if bad:
                raise InvalidParameterValue(
                    f"Instance metadata tags are enabled, and tag keys {sorted(set(bad))} are not allowed in instance metadata."
                )
    return _run_instances(self, image_id, count, user_data, security_group_names, **kwargs)


instances.InstanceBackend.run_instances = _run_instances_checked

# Gap 6: moto takes Bool conditions as met, so the cluster bucket's "deny unless over TLS" (Deny when
# aws:SecureTransport is false) denies every request. The provider and the AWS CLI reach AWS over
# HTTPS, where aws:SecureTransport is true and that statement denies nothing; the emulator's endpoint
# is plain HTTP on loopback, so the statement is judged as AWS would judge an HTTPS request.
_is_action_permitted = access_control.IAMPolicyStatement.is_action_permitted


def _over_tls(self, action, resource="*", principal=None, incoming_condition_values=None):
    secure = (self._statement.get("Condition") or {}).get("Bool", {}).get("aws:SecureTransport")
    if secure is not None and str(secure).lower() != "true":
        return access_control.PermissionResult.NEUTRAL
    return _is_action_permitted(self, action, resource, principal, incoming_condition_values)


access_control.IAMPolicyStatement.is_action_permitted = _over_tls

# Gap 7: moto reports a fixed role and SQS queue on every lifecycle hook (a placeholder in its
# models). A hook put without them, as haform's drain hooks are (EventBridge carries their events),
# has neither on AWS; with the placeholders every plan wants to clear them.
_lifecycle_hook_init = as_models.LifecycleHook.__init__


def _lifecycle_hook_as_put(self, *args, **kwargs):
    _lifecycle_hook_init(self, *args, **kwargs)
    self.role_arn = None
    self.notification_target_arn = None


as_models.LifecycleHook.__init__ = _lifecycle_hook_as_put

# Gap 8: EC2 frees a terminated instance's private addresses with its primary interface, so its
# replacement (an autoscaling group of one relaunching a master) may take the same address; moto
# frees them only when the instance object is garbage collected, and refuses the address meanwhile
# ("IP already in use", a 500).
_terminate = instances.Instance.terminate


def _terminate_freeing_addresses(self):
    # Gap 9: EC2 detaches a terminated instance's other interfaces that do not delete on
    # termination: they become available to the next instance (a replaced master's member
    # interface). moto keeps them attached to the terminated instance, in use.
    kept = [nic for index, nic in self.nics.items() if index != 0 and not nic.delete_on_termination]
    state = _terminate(self)
    for nic in kept:
        self.detach_eni(nic)
    try:
        subnet = self.ec2_backend.get_subnet(self.subnet_id)
    except Exception:
        return state
    for ip in self._private_ips:
        subnet.del_subnet_ip(ip)
    return state


instances.Instance.terminate = _terminate_freeing_addresses

if __name__ == "__main__":
    server.main(sys.argv[1:])
