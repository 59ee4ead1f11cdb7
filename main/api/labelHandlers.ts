import { decoderDirection, directionCosine, fileDirection } from '../directions/directionCosine';
import { applyDemoTruth, getLabel, importLabels, listLabels, setLabel } from '../labels/labelService';
import type { HandlerTable } from './handlers';

type LabelMethods = 'label.list' | 'label.get' | 'label.set' | 'label.import' | 'label.applyDemoTruth' | 'direction.cosine';

export const labelHandlers: HandlerTable<LabelMethods> = {
  'label.list': ({ sae, index }, s) => listLabels(s.db, { sae, index }),
  'label.get': ({ sae, index, feature }, s) => getLabel(s.db, { sae, index }, feature),
  'label.set': ({ sae, index, feature, label, note }, s) => setLabel(s.db, { sae, index }, feature, label, note),
  'label.import': ({ sae, index, file }, s) => importLabels(s.db, { sae, index }, file),
  'label.applyDemoTruth': ({ sae }, s) => applyDemoTruth(s.db, s.home, sae),
  'direction.cosine': ({ sae, feature, against }) => {
    const a = decoderDirection(sae, feature);
    const b = 'file' in against ? fileDirection(against.file, against.tensor, a.values.length) : decoderDirection(against.sae, against.feature);
    return directionCosine(a, b);
  },
};
