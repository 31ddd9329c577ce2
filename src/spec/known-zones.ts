/**
 * The Availability Zone letters of each region, as AWS lists them (Regions and Zones documentation,
 * docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html), as of
 * November 2026. Zone letters map to physical zones per account, and older accounts see letters
 * newer ones do not (us-west-1, ap-northeast-1): the union is listed. A zone outside its region's
 * letters is an error; a region not listed here only warns (it may be newer than this list).
 */
export const KNOWN_ZONES_AS_OF = '2026-11';

const LETTERS: Readonly<Record<string, string>> = {
  'us-east-1': 'abcdef',
  'us-east-2': 'abc',
  'us-west-1': 'abc',
  'us-west-2': 'abcd',
  'ca-central-1': 'abd',
  'ca-west-1': 'abc',
  'mx-central-1': 'abc',
  'sa-east-1': 'abc',
  'eu-west-1': 'abc',
  'eu-west-2': 'abc',
  'eu-west-3': 'abc',
  'eu-central-1': 'abc',
  'eu-central-2': 'abc',
  'eu-north-1': 'abc',
  'eu-south-1': 'abc',
  'eu-south-2': 'abc',
  'il-central-1': 'abc',
  'me-south-1': 'abc',
  'me-central-1': 'abc',
  'af-south-1': 'abc',
  'ap-east-1': 'abc',
  'ap-east-2': 'abc',
  'ap-south-1': 'abc',
  'ap-south-2': 'abc',
  'ap-northeast-1': 'abcd',
  'ap-northeast-2': 'abcd',
  'ap-northeast-3': 'abc',
  'ap-southeast-1': 'abc',
  'ap-southeast-2': 'abc',
  'ap-southeast-3': 'abc',
  'ap-southeast-4': 'abc',
  'ap-southeast-5': 'abc',
  'ap-southeast-7': 'abc',
  'cn-north-1': 'abd',
  'cn-northwest-1': 'abc',
  'us-gov-west-1': 'abc',
  'us-gov-east-1': 'abc',
};

/** 'known', 'unknown-zone' (a letter the region lacks) or 'unknown-region'. */
export function zoneStatus(region: string, zone: string): 'known' | 'unknown-zone' | 'unknown-region' {
  const letters = LETTERS[region];
  if (!letters) return 'unknown-region';
  return letters.includes(zone.slice(-1)) ? 'known' : 'unknown-zone';
}

export function zonesOf(region: string): string[] {
  return [...(LETTERS[region] ?? '')].map((l) => `${region}${l}`);
}
