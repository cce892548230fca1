// Golden digests of BuildFeatures' computations on seeded messy data: every feature value, sample row,
// CLV input and repeated-row verdict, in order, as SHA-256 of an exact canonical form (test/support/
// digest.ts). The digests were recorded from the grouped implementation of issue #10 when it was proven
// equal, to the bit, to the implementation it replaced. A digest that changes is a behaviour change:
// find the column it names, and record new digests only for a change that is meant.
import { describe, expect, it } from 'vitest';
import { computeFeatures, selectSample } from '../../../lib/features/build.js';
import { computeClvInputs } from '../../../lib/features/clv-inputs.js';
import { concatTransactions } from '../../../lib/features/transactions.js';
import { dropDuplicateRows } from '../../../lib/ingest/duplicates.js';
import { buildSelfLabelledSample } from '../../../lib/models/propensity.js';
import type { Columns } from '../../../lib/storage/columnar.js';
import { createRandom } from '../../../lib/util/random.js';
import { columnDigests, sha256Of } from '../../support/digest.js';
import {
  MESSY_AS_OF_MS as AS_OF,
  copyColumns as copy,
  DAY_MS,
  messyRows,
} from '../../support/transactions.js';

describe('BuildFeatures computations match their recorded digests', () => {
  const tx = messyRows(400, 7);

  it('the seeded input itself is the one the digests were recorded on', () => {
    expect(columnDigests(tx)).toEqual(GOLDEN.input);
  });

  it.each([
    ['at the as-of time with windows', 'featuresWithWindows', AS_OF, [30, 90, 365]],
    ['at an earlier cut without windows', 'featuresEarlier', AS_OF - 60 * DAY_MS, []],
  ])('computeFeatures %s: same customers, names and values to the bit', (_, name, asOf, windowsDays) => {
    // Act
    const ours = computeFeatures(copy(tx), asOf as number, { windowsDays: windowsDays as number[] });
    const actual = {
      customerId: sha256Of(ours.customerId),
      names: ours.names,
      values: columnDigests(ours.values),
    };
    // Assess
    expect(ours.values.events_email_open).toBeDefined();
    expect(actual).toEqual(GOLDEN[name as 'featuresWithWindows' | 'featuresEarlier']);
  });

  it('selectSample and the self-labelled propensity sample: same rows, keys and order', () => {
    // Prepare
    const features = computeFeatures(copy(tx), AS_OF, { windowsDays: [30, 90] });
    const target = { name: 'purchase', kind: 'purchase' as const, windowDays: 30 };
    // Act
    const ours = [selectSample(features, 150, 42), selectSample(features, 10_000, 42)];
    const labelled = buildSelfLabelledSample(copy(tx), AS_OF, target, 200, 42);
    const actual = {
      small: columnDigests(ours[0]),
      whole: columnDigests(ours[1]),
      labelled: columnDigests(labelled.sample),
      positives: labelled.positives,
      negatives: labelled.negatives,
    };
    // Assess
    expect(actual).toEqual(GOLDEN.samples);
  });

  it('computeClvInputs: same customers, histories (in key order) and spend rows', () => {
    // Prepare
    const options = { asOfMs: AS_OF, endDay: Math.floor((AS_OF - 30 * DAY_MS) / DAY_MS), periodDays: 7 };
    // Act
    const ours = computeClvInputs(copy(tx), options);
    const actual = {
      customers: columnDigests(ours.customers),
      spend: columnDigests(ours.spend),
      histories: sha256Of(JSON.stringify(ours.histories)),
    };
    // Assess
    expect(ours.customers.customerId.length).toBeGreaterThan(300);
    expect(actual).toEqual(GOLDEN.clvInputs);
  });

  it('dropDuplicateRows: same rows kept, same repeats per file and line', () => {
    // Prepare: three parts with repeats across and within them, some earlier origins arriving later
    const r = createRandom(3);
    const parts: Columns[] = [0, 1, 2].map((part) => {
      const n = 500;
      const key = new Float64Array(n);
      const origin = new Float64Array(n);
      const orderId: string[] = [];
      for (let i = 0; i < n; i++) {
        // fingerprints repeat; 0 means none, and NaN must match NaN as in a Map
        key[i] = r.next() < 0.1 ? 0 : r.next() < 0.02 ? Number.NaN : r.int(900) + 0.5;
        origin[i] = (2 - part) * 2 ** 32 + (r.int(3) === 0 ? 5 : i + 2); // equal origins too
        orderId.push(`#${part}-${i}`);
      }
      return { orderId, duplicateKey: key, origin, amount: Float64Array.from(key, (k) => k * 2) };
    });
    // Act
    const ours = dropDuplicateRows(parts);
    const actual = {
      kept: ours.kept,
      removed: ours.removed,
      files: sha256Of(ours.files),
      parts: ours.parts.map(columnDigests),
    };
    // Assess
    expect(ours.removed).toBeGreaterThan(100);
    expect(actual).toEqual(GOLDEN.repeatedRows);
  });

  it('concatTransactions: same columns from parts with and without the optional columns', () => {
    // Prepare
    const { category, channel, ...withoutOptional } = messyRows(20, 5);
    const parts = [tx, withoutOptional, { ...withoutOptional, category }].map((p) => ({ ...p }) as Columns);
    // Act
    const ours = concatTransactions(parts);
    // Assess
    expect(channel?.length).toBeGreaterThan(0);
    expect(columnDigests(ours)).toEqual(GOLDEN.concatenated);
  });
});

/** Recorded from the code of commit 915e60c, whose outputs the equivalence test then in this folder showed equal to the pre-#10 implementation's. */
const GOLDEN = {
  input: {
    customerId: '792f14d81a15e849fc9bf07f7a2490ef3c14447266aee7356f40d840bf4bcb3c',
    orderId: '31a2a76659379c992a3589aff177dc5766c8d8777ec19b90bc5cccfe01f3bad7',
    eventType: '6d0ce3bccce6ab8a6d9e96d15c67fc3d1ce581f88cdcc567da7bd1fd26ac2930',
    timestampMs: '509c747e2096f2fa7b6afee14b835c4729daed5117cd6b9cb8c1e165ba512424',
    amount: '7c914d2bba0c8cd8dd8e1f231b85443bb12b6bd94d49afa83a48eb5be47d2f2f',
    discount: '261ec4b4ed3c98bcf6f5078b7e1133a68709e18ecdea67fdfccb7a7c4cee5778',
    isReturn: '3c57d963d8e386a57ec4e19c5bad5d51616a06c10c2fc6a9f51e25625bd2a67c',
    category: '5af75aeb60f50755a72823e896b14c355bc5bfab9580af8ce98bdb5208f74422',
    channel: '3460bace9bfa442b50d23741e3d51cbdeb1fa2c294741089c31ebd0a67c57cc4',
  },
  featuresWithWindows: {
    customerId: '9cb572a42a2be9e4d769c151ce9c42bfd04d3f9853ba11012d1ae20eace4adc9',
    names: [
      'recencyDays',
      'frequency',
      'monetary',
      'avgOrderValue',
      'tenureDays',
      'orderGapDays',
      'orderGapVariation',
      'discountShare',
      'returnRate',
      'topCategoryShare',
      'categories',
      'mainChannelShare',
      'channels',
      'activeDays',
      'featuresUsed',
      'events_email_open',
      'events_login',
      'events_page_view',
      'orders30d',
      'orders365d',
      'orders90d',
      'spend30d',
      'spend365d',
      'spend90d',
    ],
    values: {
      recencyDays: '3933daaa24ff7c9b2bc138d8ae750e754e8d01d9f3004c8267cbb0fd3733ac28',
      frequency: 'db72515ee273fcfe9f1812a743c2b240958e8688cb8eaf60dfc72da194cee88c',
      monetary: 'fafab2f7cf6b6bc61c006bf8cf141ddd69251c9d27a56dc0d1b8de3bfd69fa7e',
      avgOrderValue: 'f8dcc8385e1983a0623e0c8b6b350df8e26dadaa8c239612026ac7c0c3aa219a',
      tenureDays: 'a5fb08a72876428ad3d71a1060e65125fb2b555b849746fb4b681f7c731f0876',
      orderGapDays: 'b7efef18e7a0a8e710301738c1f052b7b257eae90081ff35f11451123ba68897',
      orderGapVariation: '3db8a7343f3741a2ab05517a82ae01249889f26901a04a237756587aab4a556e',
      orders30d: '8c8bb5ad774adfd6aed347d93cd24772446659e518ed75112d76e999aa25baed',
      spend30d: '36cdcce591bc606403ea2f4c541a8e20e8e3a548b398478423e5c69b9698ad27',
      orders90d: 'c74459f8dfbdaad5ca1b869857c3479b7967419cf05cfbc35248547d8b60bf10',
      spend90d: 'd58866dc6aeed30f975ed75d1fb88e038addfa1fc200b5b9dfdbf00a0570b09c',
      orders365d: 'b6518a042f0b534905e59d4e8310377fad9d3214a31720dd51e2a45dc0200fe2',
      spend365d: '67cddc8857ab1f8ec33a86de877016d2ba1d3c8600d822f7b6107b89eb74fd6d',
      discountShare: '625828c69dd081bdc70134e9c4fb399c3625c01a9c7966c629d8c394721ff2c7',
      returnRate: '4e417a6892556f3266d85c09be80dcb1a2f5cf0e041f511017da84170f7db9e6',
      topCategoryShare: '2eb1727fad858fb5fedd88af35f621a98282e8703524592adb66cac912ed41f1',
      categories: '35a07424d54bd4131f69ca50cf9bd6ea0298c998ad3ee7e1f6a8e004f235a8db',
      mainChannelShare: '82e582ca30f7ef47b74f58594ed8576a8a64c432d6217337c363f67e26ae3c3c',
      channels: 'd5105f8aaba99bfb2573b8ef6f1297ef240a34974eb6f4f37cdf6bc84a6b5995',
      activeDays: '1a1ababc1ca19cf11a8246f312a7782e1987819334048d6d996ee25fb6bed795',
      events_login: '8e04849db337ec1960e38f4853ccc784ab6e4d39885e76b98d0913c7c47d7a5c',
      events_page_view: 'd4809cf7a5a43afe21bfbec3f320a4bd84cb972d51f63916701ac5775d3f1569',
      events_email_open: 'd4efb97f3dc877a55dea07ebd7a1cb06f89ecc9a6ce769fce59af09efbe8e69e',
      featuresUsed: '2c9caf95cb551fd2e5d43f1ed9c10fe8909d89680194e9fd03914cac9bbff7cd',
    },
  },
  featuresEarlier: {
    customerId: '48fd72233ec6bbefd762da7b16d5f5ec0b86feb544a27133c0ed32be4f48e1d9',
    names: [
      'recencyDays',
      'frequency',
      'monetary',
      'avgOrderValue',
      'tenureDays',
      'orderGapDays',
      'orderGapVariation',
      'discountShare',
      'returnRate',
      'topCategoryShare',
      'categories',
      'mainChannelShare',
      'channels',
      'activeDays',
      'featuresUsed',
      'events_email_open',
      'events_login',
      'events_page_view',
    ],
    values: {
      recencyDays: '96e5831d638b1a807f889393300914572ce7e1d32b36097dd037b530a08c71c9',
      frequency: '45a403020342b7520ef43e614b22d01b5c753d5f0045dc092ecf6ef28d2c1d09',
      monetary: '943538529d6d50b30aa97536954f62144cbec622d264b5f8560379dfbe9fa9a0',
      avgOrderValue: 'b40fc7943ec9fc1373f424c05cad81a4b14f5279d688cb7bc06ea9002978cb97',
      tenureDays: '1a494987009c4f9bc8bead2a0d5e2fc6841fc0951379eb120ef6e8c38523d973',
      orderGapDays: '1a9df3a6653a4960fd5a0098f7f0ae6c6fd9a9644d9c84bc2823d0b927ee9272',
      orderGapVariation: '22c8fa4567895460b3356f0b0a59f343f30d2b14ed5c70ce86758ae284ec61a7',
      discountShare: 'f4f796dba3fb1667bf5a4e24c1bbea341a49d69c368a49885f1afa085aa37401',
      returnRate: '3b25cdb87767fc6ff4317065a8e1079f467d6f8cd83b4c60b1bc83b7f5eee572',
      topCategoryShare: '40ba50f4f07bf9f4024ab03949f41259c12abe31cbdc6d6b71a49d8f3f02e85f',
      categories: 'bd826a07d2635eba625cdc93af10d1e825214b63873f3c26ea40376e3a82a695',
      mainChannelShare: '3bfdabf582f9969c000d9eb4e972852098c3a175e15fe8dd1e82311f3c81c911',
      channels: '6699dcd1504d0937c5c15359b7bf425003373aba4bda4e31fad63db296c50ada',
      activeDays: '85e3f7bded58192eee332fe165a04eb9c29bc78aea7f382982d64eb44ee62f39',
      events_login: 'f93b44c378a7d1534b5a1ee108ce437ed5d5558843f77c02d242daaf6160e10a',
      events_page_view: 'aaf09d69de3d8f0396563121c3a5809ded8e13ea8fd2891e4636cc43fdd031e9',
      events_email_open: '9720fe3852458157376d9923932bea1b4d04fe681adbca955b03656e7f5023de',
      featuresUsed: '32e2b5eee0bf932a052cfcb657cf51de084593b72c6d18f6af4cd0900b94ada8',
    },
  },
  samples: {
    small: {
      customerId: '1e2526795e54d59c7edc931eddd456205c91df93ff77e210bb26af2118e84cfa',
      sampleKey: '079d3a87bcbddfa712ae335dd77d098375c6bfab02b7a73c1363a753c5916c20',
      recencyDays: 'ef810c5f3d41b9d02dfa6b100c4467ebe49d3ab1e39d0debbc202de7b81369e9',
      frequency: '3ab077386c80817bd13ec9febd74dce7fb6109d3c6af8bcaea2d5cb892f7433a',
      monetary: 'a99a66a3f6923abb34eef61c2bd5288e4bd58ea2d15ef73a17bf7d30f874e0dd',
      avgOrderValue: '7c712f0be984513f9326034c00812ee2be068736e4f9760d6927fa50c9292fdb',
      tenureDays: '00f09343eee49f680e15055cc4fbbb983b1eefe8d6a588c287dc761432dab93a',
      orderGapDays: '347dc54c945a0a30c5da3a6c2a7e8bc568f538d363b0a62abbe1f7467de18563',
      orderGapVariation: '53bcef9e412a375815ffe427f0a2e27358761127e38e49a5fc57e848b5e446bb',
      discountShare: 'f8735bed28096831610b2505bbd754572e45b8c29198f319fb0a3fc1f03cac09',
      returnRate: 'cf06c9919f671e6d8c92ff9e1bf80797a568964ac7a6c3827fecc5950a0400b2',
      topCategoryShare: '383f23106732bb6b99669bcca0f411e41eb78b104d645d6e446bdba2bc825953',
      categories: '261d72f33924c6b95e75e343b5c8deab88ee1e703181f0fc66245f229ee05d8e',
      mainChannelShare: 'd8bf8419c94adcff3b1f71bc619c5abd6fffc46ba5619ad804bf99c5ac178ecc',
      channels: '1f81b73a46c9c3de99e3cd64e5fbbd846109314bef7362bb7b6b83bbae32606a',
      activeDays: 'eb0d8e69bc832164a0ee1b9f71bcf9b8763f2493f2f97f9f90aebf4dd1a96e77',
      featuresUsed: 'baee7010a7cf17ebbb13288a075c9c5b8f2225d083a04829f77a6146148d72b5',
      events_email_open: '7a445f23c14ba8aa50306d74c5f9f647eed98f3c36a1653356e0e2fe7300d98e',
      events_login: '6250f8f2784f1a242d4b6ee01ffcdcd6d8df0548541725971ce77ae77e12b949',
      events_page_view: '76c17cff5c75ff889a58e93dc734d800c32b0d488ac28b0f6f45018462d441ac',
      orders30d: '495fea80e36bf67f05a1d979a59b284c4cadc9cdcb3abfc3f398f5edfed49132',
      orders90d: '29b7455b051e92b8a503e3d9e02b1f00b0c38ae1806a3273d225ebad6ab5b026',
      spend30d: '6f49ebb2c29e81b73dc66f813ac29360f1546303bd7c41cfe5a61f4b5f91c869',
      spend90d: 'ab1c62c299f826dafebd44c74c93fdf05d2d523db2e83b0916b10dc91646f9cf',
    },
    whole: {
      customerId: 'c635c96ce0295a0710ac902e2195b4c6b1671a58816f7cee124a85e4764aa0dd',
      sampleKey: '588166203c53c3876afe5062545ed3eec5c979861269857b9fce38df6e05febb',
      recencyDays: '9b93f26f3be8365393a6f3b23fbac5468fff63170a8f299a214ce580a85e3804',
      frequency: '45146b988a365395a5fe7692e754033720bc1e862f7ae538ef83cd9fb72f5d1f',
      monetary: '3ec327d7b6d8a63bc3f90632b477fee9aa7b8404db626d45691555d73c2313e5',
      avgOrderValue: 'bcab2778d6d0e0847949357a30e5754886e3d8f78ba9f93b4653ff023b2b723d',
      tenureDays: 'e78314b49cf944396b082812c5a8e83fb84a5d9c6f712796f4a97096b217dc81',
      orderGapDays: 'aba03a20ec7ff1a9a6165c07476737d5e1229e31105c0096fa04befbfb26ab79',
      orderGapVariation: 'e5091dfd0e5c39c052a76b2c08ae1dc490e79fbd29bd07a8c1b9aebec71ef7d5',
      discountShare: 'ebfb6d2175455f750514cc08f5e32c95ed34066762e66196fb59e521644996dd',
      returnRate: '38dcd78b19289162f1f302f7f17dbb40da78c1f485c5ed727586d19fb1c41739',
      topCategoryShare: '412ab3a23975193025397b65c45023390fc179b883f32951d31b0a3498a03cb9',
      categories: '7cf80036ecb6f066138b2ad942de51fe0244ef4be3360fa7a164f74abc40dace',
      mainChannelShare: '52762cd35384ea97b79a5947ae7fafcf8852dd8c0f13743f1168506642b4c0bc',
      channels: 'd13dd1cdd5faf5ca58486f254e08a0f577c98df2eff9993c472cb3c743c47ca0',
      activeDays: 'b46d24ea22b5b07546c99026db9af6b6d2c17c4405274d6a3b38a5a9eabcb03b',
      featuresUsed: '56d2e7f277ca4b149f5855c2aa552f78f16804c97647463d8c063d9b6e2447a8',
      events_email_open: '1aa19387404351ffabca3d96b3a6e39920a0c45564a35c94ed4ebf36a714daaa',
      events_login: 'd0f8ec30e97e6331366c2ccdc4fee3525e6c79b105fe633ded8cc3904778a865',
      events_page_view: '381c4f4f4fe156ba7673c1671109baed056cb2009f87b49328661e1998c116cf',
      orders30d: 'e1d5caf91a303b0f0380e4731b46db40be4a250b0bbe52687569f92d3c379af3',
      orders90d: '2394edc7ac2a4f3844a906c50372e23c4020e704ae73d59d5fc55fdb385d2e81',
      spend30d: '4db49b426e61f24a6ebc6f502c57a3eefd5dfe90fd988ffa99848b586cbbeb98',
      spend90d: 'ff6a41d7208ddc06dac815392b3d49113851d6d3861f74cd8315304b91222df0',
    },
    labelled: {
      customerId: '062e621909793080a70b7fc5c6e4dd9202684135d20d6d1ae2034e30073792f0',
      key: '3f2b526a7195c327d7a3e44720eace57f045c2306e4c994c37fa34246420869c',
      label: 'bb6a11279473f97f98f3c30a484e07ef1587cf0600452951956c65c8186f8975',
      recencyDays: '102be17eb4b5a9f9f71c761ee02d1b5466e52d4bb69e38216610127b78907943',
      frequency: '66b57e1a5c750177d030b199ff554d7588229257e103fb408b089d17dc6f7c14',
      monetary: '9e29fd9a4074ec10f007b5380d96cc1bf4683dcd9dae5048df15ff1c14b9a3b2',
      avgOrderValue: '64b893abb9564f6aee7a10517dee1725eb564b4b879f0a1caf7f604e6a51171a',
      tenureDays: '13b831f85b0dfa32031e4a1110a9a34ae150b56b3e5ccf6237f5d027cc61beaa',
      orderGapDays: 'b8b8270a7030da2169c0b06efe545c45b5c7daac3106a69f48e21d19270e8d8e',
      orderGapVariation: '3ba08ae2c5297037c845324b212bb1758c8a68306a7c07a450a42158f14b8f9c',
      discountShare: '8deceed2f3c84e3213d5699b52d6d82fd54fb6e5b795e1d29a2ea156ed9714bc',
      returnRate: '2143742bd942051487f23046ba093477b84bab5db2f6f688052d35fd31a9dae2',
      topCategoryShare: 'a4f0e782e3f928fb7f82444b4a6cb93ffa4424facd6c5dac6421e0278abc488d',
      categories: 'f295fba99b63f4cfdf5938226cb111492434260c863e20514475c6b3ad2a8df3',
      mainChannelShare: 'd2e9f70ed649da3f0e0be011f06c4766491dba8ae7201e29f25833debab08e8c',
      channels: 'e01ea5bcaa83e014babcb20384c7d141f35a93087abfa612adcc3f822660e5a4',
      activeDays: 'cf9400351d9937564ecbc515f6619a0c2a342daaaf8dbd9e26765045a6e9b589',
      events_login: 'f0bca869900951f127bb700a57aa70cb1d07b056828576a308ff3ac631c941e6',
      events_page_view: '18289162d730fb23ae81c147377dfabcbfdd9026f976de43dce05fb5e5ac53fb',
      events_email_open: 'bc7b739a377bbbaae65fccb713ab824779058e5e73fde79e86f3cdc8c5f3e51f',
      featuresUsed: '1f7f93bd54c01a6416e50a93b89262d3d370ff5af9c7a1e92a142cea74679307',
    },
    positives: 145,
    negatives: 255,
  },
  clvInputs: {
    customers: {
      customerId: 'ed05d4c80a7e4b2c0310c6896cb849ce1b10b616ec1b046e86ff4043e4624a18',
      x: '40c33930e81be15fef08182b542361eda9c593890619ac58e941e7ed72159798',
      tx: '27bbff119a4f6da8b91d686daf98026c8238aa79923826de95fef8d6812668f9',
      T: '3a0403cac2b7013cd05b2426acac9f0293a51ee6e47b9056745542de2d3638c7',
      meanSpend: 'f093ecfdeaae0ba41be2b67adc93c88999a34b848d1acfc28e245850ebd68105',
    },
    spend: {
      x: '6c179a0e9d7819934302f1a1580b1ef40cca56bf27ccd5873bfb1426d3e686d9',
      meanSpend: '2903d9cb34f98c6b74692236799b313991229266f98eb286344c8400a88390ef',
      key: '5cb56537793cfbd22c1ea80aa093e275b7aedeb78dcac6d7da1b9706c307e910',
    },
    histories: 'bfbea7014f552c7523d585f37d5b3bc1bfad560e0d1cec96c7cc4164b1cb926e',
  },
  repeatedRows: {
    kept: 889,
    removed: 611,
    files: 'cca64f32779f825dfc6bdf1b7f312140891dc5c1115141604b2ee34c3307b165',
    parts: [
      {
        orderId: '2ac79a9581442b5fb0901e688915e407845c4f68f1afc05160a9d0cc5b5b652f',
        duplicateKey: 'da67d7c36f66c91e958ad6341db5650aef432ac2d835dce276d655666ae919fe',
        origin: 'a8ff33d622e3f28f968c9f3482d4b3ac33665f5d51648bfb2ca93122e2a13de8',
        amount: 'a7b63dbfbb2eb3e335c512d2866a23dbe3f2af079ea7e3dde1af7b1394a163ed',
      },
      {
        orderId: '8969a0738514dba87c7ce4209aceec5a573c415f8d91caa43faa16080f7dd94e',
        duplicateKey: '41d5dbf337ba3651648a3506d9e3d23b72380502d3353b659c143c98a75928fa',
        origin: '7059371bb8d21242ded6aa57ebe753b747869758f401ddfc1cc4b3081ea8a048',
        amount: 'c63b8a7cc246f6170c66f8fcfe6cddf68a3a578cfd7af4f4820f22b0427f7e6f',
      },
      {
        orderId: 'ce637e03ca46d44b9b1cbebe54026b5204ce9e0dc18a3e5ab4169b3f7fc3d2de',
        duplicateKey: 'e137185ed17e0df212757226fce413992ab944a03c8feec919de928366e7dfef',
        origin: '708854fbc32f8583bf38aedce0120664179759b9eb4a9ec0508d0c2b2eb0e9b5',
        amount: 'bb4ef2abe17fdb32be8bf4ebe41dab3ad6426231ab3d5e37f0d997d8e2381d49',
      },
    ],
  },
  concatenated: {
    customerId: '5ded322edf544b9c9297970b0047c4b5e2fdba8cef1bd399b0bea70471e04156',
    orderId: 'fe679ba15e226a1f37b0eeb235077129df296c67935a3c354701270aa670a206',
    eventType: 'df4b2f033be40e59d7a45410dc266a8841d1a1066ea83f193a22b8968d7ee714',
    timestampMs: 'f9e633b2eebbf4418f6034772891abba83a8f9b48d50ba6df56f24ca480ba1c8',
    amount: '0baad3bf3fb63282d88a56b28df344a873713e6c06d6e7a5b113e974bd452d55',
    discount: '025a28809b89761b8e060b59c1e78143b08927fc146383ff554e7ef156a631b5',
    isReturn: '113350a0074dc35911a37ad78807e74ce65f3c0b8b7a46883acd907b080d513c',
    category: '9b1b6397e591e67670c2dd3408908b6a425e15e604e92fa70abf9804b6b7ff9a',
    channel: '4486625b30d432e52472f30cc1accca5f4b958cd17152e13192e31a4c7684208',
  },
};
