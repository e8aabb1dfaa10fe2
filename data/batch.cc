#include "data/batch.h"

namespace ember::data {

void Batch::Clear() {
  size = 0;
  labels.clear();
  weights.clear();
  ids.clear();
  dense.clear();
  for (SparseField& field : fields) {
    field.keys.clear();
    field.offsets.assign(1, 0);
  }
}

}  // namespace ember::data
