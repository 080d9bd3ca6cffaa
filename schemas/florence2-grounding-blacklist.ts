/**
 * Phrases MSP's `Florence2PostProcesser` drops from `<CAPTION_TO_PHRASE_GROUNDING>` output
 * (`_create_black_list_of_phrase_grounding`, FILTER_BY_BLACK_LIST true), deduplicated. Matching is on the
 * trimmed phrase and case-sensitive, as in MSP: `I` is listed, `It` and `The` are not.
 */
export const GROUNDING_BLACKLIST: ReadonlySet<string> = new Set([
  'it', 'I', 'me', 'mine', 'you', 'your', 'yours', 'he', 'him', 'his', 'she', 'her', 'hers',
  'they', 'them', 'their', 'theirs', 'one', 'oneself', 'we', 'us', 'our', 'ours', 'its',
  'myself', 'yourself', 'himself', 'herself', 'itself', 'ourselves', 'yourselves', 'themselves',
  'this', 'that', 'these', 'those', 'who', 'whom', 'whose', 'which', 'what',
  'all', 'another', 'any', 'anybody', 'anyone', 'anything', 'each', 'everybody', 'everyone', 'everything',
  'few', 'many', 'nobody', 'none', 'several', 'some', 'somebody', 'someone', 'something',
  'each other', 'one another',
  'the image', 'image', 'images', 'the', 'a', 'an', 'a group', 'other objects', 'lots', 'a set',
]);
