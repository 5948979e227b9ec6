// Certificates, SNIs and CA certificates (Kong 3.9's /certificates, /snis, /ca_certificates):
// the entity shapes in all three encodings, the `snis` shorthand and the SNI-name alias in
// paths, PEM parsing and key matching with Kong's messages, wildcard SNI rules, cascades and
// references (services and upstreams presenting a client certificate, services trusting CA
// certificates), pagination and tags, and garbage PEM that must never be a 500. Certificates
// are generated at test time; no key material is committed.

import { createCertificate, type CertificatePair } from '@switchyard/server'
import assert from 'node:assert/strict'
import { createHash, X509Certificate } from 'node:crypto'
import { test } from 'node:test'
import { FMJ, type Json } from './client.js'
import {
  collectPages,
  createService,
  createUpstream,
  expectMessage,
  expectStatus,
  expectViolation,
  inEach,
  newId,
} from './fixtures.js'
import type { AdminHarness } from './harness.js'

const DAY = 86_400_000
const now = Date.now()
const valid = { notBefore: now - DAY, notAfter: now + 365 * DAY }
const leaf = (cn: string, keyType: 'rsa' | 'ec' = 'rsa'): CertificatePair =>
  createCertificate({ commonName: cn, keyType, ...valid })

const RSA = leaf('rsa.test')
const RSA2 = leaf('rsa2.test')
const EC = leaf('ec.test', 'ec')
const EC2 = leaf('ec2.test', 'ec')
const CA = createCertificate({ commonName: 'Test CA', ca: true, ...valid })
const CA2 = createCertificate({ commonName: 'Test CA 2', ca: true, keyType: 'ec', ...valid })
const EXPIRED_CA = createCertificate({ commonName: 'Old CA', ca: true, notBefore: now - 30 * DAY, notAfter: now - DAY })

const CERT_FIELDS = ['id', 'created_at', 'updated_at', 'cert', 'key', 'cert_alt', 'key_alt', 'tags', 'snis']
const SNI_FIELDS = ['id', 'name', 'created_at', 'updated_at', 'tags', 'certificate']

/** What the server receives: fetch's multipart encoder sends line breaks as CRLF, as browsers do. */
const sent = (pem: string, enc: string) => (enc === 'M' ? pem.replace(/\n/g, '\r\n') : pem)

const digest = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('hex')

export function runCertificateCases(h: AdminHarness): void {
  const post = (path: string, body: Json) => h.client.post(path, body)
  const createCert = async (extra: Json = {}, pair = RSA) =>
    expectStatus(await post('/certificates', { cert: pair.cert, key: pair.key, ...extra }), 201)

  test('POST /certificates in every encoding: Kong shape, snis sorted, readable by id and by SNI', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const body = expectStatus(
        await h.client.post(
          '/certificates',
          { cert: RSA.cert, key: RSA.key, cert_alt: EC.cert, key_alt: EC.key, snis: ['b.test', 'a.test'], tags: ['t1'] },
          enc
        ),
        201
      )
      assert.deepEqual(Object.keys(body), CERT_FIELDS)
      assert.equal(body.cert, sent(RSA.cert, enc))
      assert.equal(body.key, sent(RSA.key, enc))
      assert.equal(body.cert_alt, sent(EC.cert, enc))
      assert.deepEqual(body.tags, ['t1'])
      assert.deepEqual(body.snis, ['a.test', 'b.test'])
      assert.equal(typeof body.created_at, 'number')
      for (const key of [body.id, 'a.test', 'b.test']) {
        assert.deepEqual(expectStatus(await h.client.get(`/certificates/${key}`), 200), body)
      }
      const snis = expectStatus(await h.client.get('/snis'), 200).data as Json[]
      assert.deepEqual(snis.map((s) => s.name).sort(), ['a.test', 'b.test'])
      for (const s of snis) {
        assert.deepEqual(Object.keys(s), SNI_FIELDS)
        assert.deepEqual(s.certificate, { id: body.id })
      }
    })
  })

  test('a single `snis` value (form or JSON string) is one name; no snis is an empty list', async () => {
    const form = expectStatus(
      await h.client.form('POST', '/certificates', new URLSearchParams({ cert: RSA.cert, key: RSA.key, snis: 'one.test' }).toString()),
      201
    )
    assert.deepEqual(form.snis, ['one.test'])
    const plain = await createCert({}, RSA2)
    assert.deepEqual(plain.snis, [])
    assert.deepEqual(expectStatus(await h.client.get(`/certificates/${plain.id}`), 200).snis, [])
  })

  test('missing cert and key, mismatched pairs and same-type alternatives: Kong messages', async () => {
    const missing = expectStatus(await post('/certificates', {}), 400)
    assert.deepEqual(missing, {
      code: 2,
      name: 'schema violation',
      message: '2 schema violations (cert: required field missing; key: required field missing)',
      fields: { cert: 'required field missing', key: 'required field missing' },
    })
    const entityError = async (body: Json, message: string) => {
      const r = expectStatus(await post('/certificates', body), 400)
      assert.deepEqual(r, { code: 2, name: 'schema violation', message: `schema violation (${message})`, fields: { '@entity': [message] } })
    }
    await entityError({ cert: RSA.cert, key: RSA2.key }, 'certificate does not match key')
    await entityError(
      { cert: RSA.cert, key: RSA.key, cert_alt: EC.cert, key_alt: EC2.key },
      'alternative certificate does not match key'
    )
    await entityError(
      { cert: RSA.cert, key: RSA.key, cert_alt: RSA2.cert, key_alt: RSA2.key },
      'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type'
    )
    await entityError(
      { cert: RSA.cert, key: RSA.key, cert_alt: EC.cert },
      "all or none of these fields must be set: 'cert_alt', 'key_alt'"
    )
    // PUT replaces: the same checks apply.
    const put = expectStatus(await h.client.put(`/certificates/${newId()}`, {}), 400)
    assert.equal(put.message, '2 schema violations (cert: required field missing; key: required field missing)')
  })

  test('malformed PEM is a field error naming the parser, never a 500', async () => {
    const body = RSA.cert.split('\n').slice(1, -2).join('\n')
    const garbage = [
      'garbage',
      ' ',
      RSA.cert.replace('CERTIFICATE', 'CERTIFICATX'),
      `-----BEGIN CERTIFICATE-----\n${body.slice(0, 50)}\n-----END CERTIFICATE-----\n`,
      `-----BEGIN CERTIFICATE-----\n!!!${body}\n-----END CERTIFICATE-----\n`,
      '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
      RSA.key,
    ]
    for (const cert of garbage) {
      const r = expectStatus(await post('/certificates', { cert, key: RSA.key }), 400)
      assert.match(r.fields.cert, /^invalid certificate: x509\.new: /, `cert ${JSON.stringify(cert.slice(0, 30))}`)
    }
    for (const key of ['garbage', RSA.cert, RSA.key.split('\n').filter((_, i) => i !== 2).join('\n'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n']) {
      const r = expectStatus(await post('/certificates', { cert: RSA.cert, key }), 400)
      assert.match(r.fields.key, /^invalid key: pkey\.new:load_key: /)
    }
    const ca = expectStatus(await post('/ca_certificates', { cert: 'garbage' }), 400)
    assert.match(ca.fields.cert, /^invalid certificate: x509\.new: /)
    // Private keys are never echoed in an error.
    const mismatch = expectStatus(await post('/certificates', { cert: RSA.cert, key: RSA2.key }), 400)
    assert.ok(!JSON.stringify(mismatch).includes('PRIVATE KEY'))
  })

  test('garbage of every JSON type in every field is never a 500', async () => {
    const cert = await createCert({ snis: ['g.test'] })
    const ca = expectStatus(await post('/ca_certificates', { cert: CA.cert }), 201)
    const values: unknown[] = [null, true, 0, -1, 1.5, '', 'x', 'a\u0000b', [], [null], ['x', 1], {}, { id: 'x' }, { a: 1 }]
    const cases: [string, string, Json, string[]][] = [
      ['/certificates', `/certificates/${cert.id}`, { cert: RSA2.cert, key: RSA2.key }, ['cert', 'key', 'cert_alt', 'key_alt', 'tags', 'snis', 'id']],
      ['/snis', '/snis/g.test', { name: 'new.test', certificate: { id: cert.id } }, ['name', 'certificate', 'tags', 'id']],
      ['/ca_certificates', `/ca_certificates/${ca.id}`, { cert: CA2.cert }, ['cert', 'cert_digest', 'tags', 'id']],
    ]
    for (const [collection, item, base, fields] of cases) {
      for (const field of fields) {
        for (const value of values) {
          const what = `${collection} ${field}=${JSON.stringify(value)}`
          const created = await post(collection, { ...base, [field]: value })
          assert.ok(created.status < 500, `POST ${what}: ${created.status} ${created.text}`)
          if (created.status === 201) await h.client.delete(`${collection}/${created.body.id}`)
          const patched = await h.client.patch(item, { [field]: value })
          assert.ok(patched.status < 500, `PATCH ${what}: ${patched.status} ${patched.text}`)
        }
      }
    }
  })

  test('snis shorthand: duplicates, names owned by another certificate, wildcard rules', async () => {
    const dup = expectStatus(await post('/certificates', { cert: RSA.cert, key: RSA.key, snis: ['d.test', 'd.test'] }), 400)
    assert.equal(dup.message, 'schema violation (snis: d.test is duplicated)')
    const first = await createCert({ snis: ['owned.test'] })
    const taken = expectStatus(await post('/certificates', { cert: RSA2.cert, key: RSA2.key, snis: ['owned.test'] }), 400)
    assert.deepEqual(taken.fields, { snis: `owned.test already associated with existing certificate '${first.id}'` })
    assert.equal(expectStatus(await h.client.get('/certificates'), 200).data.length, 1, 'the refused certificate is not stored')
    const wild = expectStatus(await post('/certificates', { cert: RSA2.cert, key: RSA2.key, snis: ['ok.test', 'a.*.test'] }), 400)
    assert.deepEqual(wild.fields, { snis: [null, 'wildcard must be leftmost or rightmost character'] })

    const sni = (name: string) => post('/snis', { name, certificate: { id: first.id } })
    for (const name of ['*.wild.test', 'wild.*', '*']) assert.equal((await sni(name)).status, 201, name)
    const cases: [string, string][] = [
      ['*.wildcard.*', 'only one wildcard must be specified'],
      ['a.*.test', 'wildcard must be leftmost or rightmost character'],
      ['10.0.0.1', 'must not be an IP'],
      ['port.test:8443', 'must not have a port'],
      ['bad host.test', 'invalid value: bad host.test'],
    ]
    for (const [name, message] of cases) expectViolation(await sni(name), { name: message })
  })

  test('PATCH and PUT keep, replace or clear the snis list as Kong does', async () => {
    const cert = await createCert({ snis: ['p1.test', 'p2.test'] })
    const patched = expectStatus(await h.client.patch(`/certificates/${cert.id}`, { tags: ['x'] }), 200)
    assert.deepEqual(patched.snis, ['p1.test', 'p2.test'])
    const replaced = expectStatus(await h.client.patch(`/certificates/p1.test`, { snis: ['p3.test', 'p1.test'] }), 200)
    assert.deepEqual(replaced.snis, ['p1.test', 'p3.test'])
    assert.deepEqual((expectStatus(await h.client.get('/snis'), 200).data as Json[]).map((s) => s.name).sort(), ['p1.test', 'p3.test'])
    // PUT without snis clears them (Kong sends null for the shorthand).
    const put = expectStatus(await h.client.put(`/certificates/${cert.id}`, { cert: RSA.cert, key: RSA.key }), 200)
    assert.deepEqual(put.snis, [])
    assert.deepEqual(expectStatus(await h.client.get('/snis'), 200).data, [])
    // PUT by an unknown SNI name creates a certificate carrying that name.
    const created = expectStatus(
      await h.client.put('/certificates/new.test', { cert: RSA2.cert, key: RSA2.key, snis: ['other.test'] }),
      200
    )
    assert.deepEqual(created.snis, ['new.test', 'other.test'])
    assert.equal(expectStatus(await h.client.get('/certificates/new.test'), 200).id, created.id)
    expectMessage(await h.client.get('/certificates/missing.test'), 404, 'SNI not found')
    expectMessage(await h.client.patch('/certificates/missing.test', { tags: ['x'] }), 404, 'SNI not found')
    expectMessage(await h.client.get(`/certificates/${newId()}`), 404, 'Not found')
  })

  test('PATCH and PUT in every encoding: new pair, new snis, by id and by SNI name', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const cert = await createCert({ snis: ['e1.test'] })
      const patched = expectStatus(
        await h.client.patch(`/certificates/${cert.id}`, { cert: EC.cert, key: EC.key, snis: ['e2.test', 'e1.test'] }, enc),
        200
      )
      assert.deepEqual([patched.cert, patched.key, patched.snis], [sent(EC.cert, enc), sent(EC.key, enc), ['e1.test', 'e2.test']])
      const put = expectStatus(await h.client.put('/certificates/e2.test', { cert: RSA.cert, key: RSA.key, tags: ['p'] }, enc), 200)
      assert.equal(put.id, cert.id, 'the SNI names the certificate')
      assert.deepEqual([put.snis, put.tags], [[], ['p']], 'PUT without snis clears them')
      const mismatch = expectStatus(await h.client.patch(`/certificates/${cert.id}`, { key: RSA2.key }, enc), 400)
      assert.equal(mismatch.message, 'schema violation (certificate does not match key)')
    })
  })

  test('/certificates/{c}/snis: create by certificate id or SNI name, list, conflicts, 404', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const cert = await createCert({ snis: ['base.test'] })
      const byId = expectStatus(await h.client.post(`/certificates/${cert.id}/snis`, { name: 'n1.test' }, enc), 201)
      assert.deepEqual(byId.certificate, { id: cert.id })
      const byName = expectStatus(await h.client.post('/certificates/base.test/snis', { name: 'n2.test' }, enc), 201)
      assert.deepEqual(byName.certificate, { id: cert.id })
      const list = expectStatus(await h.client.get(`/certificates/${cert.id}/snis`), 200)
      assert.deepEqual((list.data as Json[]).map((s) => s.name).sort(), ['base.test', 'n1.test', 'n2.test'])
      const conflict = expectStatus(await h.client.post(`/certificates/${cert.id}/snis`, { name: 'n1.test' }, enc), 409)
      assert.equal(conflict.name, 'unique constraint violation')
      assert.deepEqual(expectStatus(await h.client.get(`/certificates/${cert.id}/snis/n1.test`), 200).id, byId.id)
      expectMessage(await h.client.post(`/certificates/${newId()}/snis`, { name: 'x.test' }, enc), 404, 'Not found')
      assert.deepEqual(expectStatus(await h.client.get(`/certificates/${cert.id}`), 200).snis, ['base.test', 'n1.test', 'n2.test'])
    })
  })

  test('/snis: PUT by name, PATCH moves a name to another certificate, Kong errors', async () => {
    const a = await createCert({ snis: ['m1.test', 'm2.test'] })
    const b = await createCert({}, RSA2)
    const moved = expectStatus(await h.client.patch('/snis/m1.test', { certificate: { id: b.id } }), 200)
    assert.deepEqual(moved.certificate, { id: b.id })
    assert.deepEqual(expectStatus(await h.client.get(`/certificates/${a.id}`), 200).snis, ['m2.test'])
    assert.deepEqual(expectStatus(await h.client.get(`/certificates/${b.id}`), 200).snis, ['m1.test'])
    const put = expectStatus(await h.client.put('/snis/put.test', { certificate: { id: a.id } }), 200)
    assert.equal(put.name, 'put.test')
    assert.deepEqual(expectStatus(await h.client.put(`/snis/${newId()}`, {}), 400), {
      code: 2,
      name: 'schema violation',
      message: '2 schema violations (certificate: required field missing; name: required field missing)',
      fields: { certificate: 'required field missing', name: 'required field missing' },
    })
    const unknown = newId()
    const fk = expectStatus(await post('/snis', { name: 'fk.test', certificate: { id: unknown } }), 400)
    assert.equal(fk.message, `the foreign key '{id="${unknown}"}' does not reference an existing 'certificates' entity.`)
    expectMessage(await h.client.get('/snis/m1.test/certificate'), 404, 'Not found')
    expectStatus(await h.client.delete('/snis/m2.test'), 204)
    assert.deepEqual(expectStatus(await h.client.get(`/certificates/${a.id}`), 200).snis, ['put.test'])
  })

  test('DELETE a certificate deletes its SNIs (one outbox event each); a referenced one is refused', async () => {
    const cert = await createCert({ snis: ['del1.test', 'del2.test'] })
    const before = (await h.events()).length
    expectStatus(await h.client.delete('/certificates/del1.test'), 204)
    const events = (await h.events()).slice(before).map((e) => `${e.entity} ${e.op}`)
    assert.deepEqual(events, ['snis delete', 'snis delete', 'certificates delete'])
    assert.deepEqual(expectStatus(await h.client.get('/snis'), 200).data, [])
    expectMessage(await h.client.get(`/certificates/${cert.id}`), 404, 'Not found')

    const used = await createCert({ snis: ['used.test'] })
    const service = await createService(h.client, { protocol: 'https', client_certificate: { id: used.id } })
    assert.deepEqual(service.client_certificate, { id: used.id })
    const refused = expectStatus(await h.client.delete(`/certificates/${used.id}`), 400)
    assert.deepEqual(refused, {
      code: 4,
      name: 'foreign key violation',
      message: "an existing 'services' entity references this 'certificates' entity",
      fields: { '@referenced_by': 'services' },
    })
    assert.deepEqual(expectStatus(await h.client.get(`/certificates/${used.id}`), 200).snis, ['used.test'], 'SNIs kept')
    expectStatus(await h.client.delete(`/services/${service.id}`), 204)
    const upstream = await createUpstream(h.client, 'up.test', { client_certificate: { id: used.id } })
    assert.equal(expectStatus(await h.client.delete(`/certificates/${used.id}`), 400).fields['@referenced_by'], 'upstreams')
    expectStatus(await h.client.patch(`/upstreams/${upstream.id}`, { client_certificate: null }), 200)
    expectStatus(await h.client.delete(`/certificates/${used.id}`), 204)
  })

  test('services and upstreams reference certificates by id; unknown ids are foreign key violations', async () => {
    const cert = await createCert()
    const unknown = newId()
    for (const [path, body] of [
      ['/services', { host: 's.test', protocol: 'https', client_certificate: { id: unknown } }],
      ['/upstreams', { name: 'u.test', client_certificate: { id: unknown } }],
    ] as const) {
      const r = expectStatus(await post(path, body), 400)
      assert.deepEqual(r, {
        code: 4,
        name: 'foreign key violation',
        message: `the foreign key '{id="${unknown}"}' does not reference an existing 'certificates' entity.`,
        fields: { client_certificate: { id: unknown } },
      })
    }
    const ca = expectStatus(await post('/ca_certificates', { cert: CA.cert }), 201)
    const service = await createService(h.client, {
      protocol: 'https',
      client_certificate: { id: cert.id },
      ca_certificates: [ca.id],
      tls_verify: true,
      tls_verify_depth: 3,
    })
    assert.deepEqual(
      [service.client_certificate, service.ca_certificates, service.tls_verify, service.tls_verify_depth],
      [{ id: cert.id }, [ca.id], true, 3]
    )
    const upstream = await createUpstream(h.client, 'u.test', { client_certificate: { id: cert.id } })
    assert.deepEqual(upstream.client_certificate, { id: cert.id })
  })

  test('POST /ca_certificates in every encoding: cert_digest computed, Kong shape', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const body = expectStatus(await h.client.post('/ca_certificates', { cert: CA.cert, tags: ['ca'] }, enc), 201)
      assert.deepEqual(Object.keys(body), ['id', 'created_at', 'updated_at', 'cert', 'cert_digest', 'tags'])
      assert.equal(body.cert, sent(CA.cert, enc))
      assert.equal(body.cert_digest, digest(CA.cert))
      assert.deepEqual(expectStatus(await h.client.get(`/ca_certificates/${body.id}`), 200), body)
      const again = expectStatus(await h.client.post('/ca_certificates', { cert: CA.cert }, enc), 409)
      assert.equal(again.name, 'unique constraint violation')
    })
  })

  test('CA certificates must be one unexpired CA certificate: Kong messages', async () => {
    const violation = async (cert: string, message: string) => {
      const r = expectStatus(await post('/ca_certificates', { cert }), 400)
      assert.deepEqual(r, { code: 2, name: 'schema violation', message: `schema violation (${message})`, fields: { '@entity': [message] } })
    }
    await violation(RSA.cert, 'certificate does not appear to be a CA because it is missing the "CA" basic constraint')
    await violation(EXPIRED_CA.cert, 'certificate expired, "Not After" time is in the past')
    await violation(`${CA.cert}\n${CA2.cert}`, 'please submit only one certificate at a time')
    assert.equal(expectStatus(await post('/ca_certificates', {}), 400).message, 'schema violation (cert: required field missing)')

    const ca = expectStatus(await post('/ca_certificates', { cert: CA.cert }), 201)
    const patchBad = expectStatus(await h.client.patch(`/ca_certificates/${ca.id}`, { cert: RSA.cert }), 400)
    assert.equal(patchBad.fields['@entity'][0], 'certificate does not appear to be a CA because it is missing the "CA" basic constraint')
    const patched = expectStatus(await h.client.patch(`/ca_certificates/${ca.id}`, { cert: CA2.cert }), 200)
    assert.equal(patched.cert_digest, digest(CA2.cert), 'the digest follows the certificate')
    const id = newId()
    const put = expectStatus(await h.client.put(`/ca_certificates/${id}`, { cert: CA.cert }), 200)
    assert.equal(put.id, id)
    assert.equal(expectStatus(await h.client.put(`/ca_certificates/${id}`, {}), 400).message, 'schema violation (cert: required field missing)')
  })

  test('DELETE of a CA certificate a service trusts is refused (code 19), then allowed', async () => {
    const ca = expectStatus(await post('/ca_certificates', { cert: CA.cert }), 201)
    const service = await createService(h.client, { protocol: 'https', ca_certificates: [ca.id] })
    const refused = expectStatus(await h.client.delete(`/ca_certificates/${ca.id}`), 400)
    assert.deepEqual(refused, {
      code: 19,
      name: 'referenced by others',
      message: `ca certificate ${ca.id} is still referenced by services (id = ${service.id})`,
    })
    expectStatus(await h.client.delete(`/services/${service.id}`), 204)
    expectStatus(await h.client.delete(`/ca_certificates/${ca.id}`), 204)
    assert.deepEqual(expectStatus(await h.client.get('/ca_certificates'), 200).data, [])
  })

  test('pagination and tags on /certificates, /snis and /ca_certificates', async () => {
    const pairs = [RSA, RSA2, EC, EC2]
    for (const [i, pair] of pairs.entries()) await createCert({ snis: [`page${i}.test`], tags: [i % 2 ? 'odd' : 'even'] }, pair)
    const pages = await collectPages(h.client, '/certificates', 3)
    assert.deepEqual(pages.map((p) => p.length), [3, 1])
    const all = pages.flat()
    assert.deepEqual(all.map((c) => c.snis.length), [1, 1, 1, 1], 'each page item carries its snis')
    const odd = expectStatus(await h.client.get('/certificates?tags=odd'), 200).data as Json[]
    assert.deepEqual(odd.map((c) => c.snis[0]).sort(), ['page1.test', 'page3.test'])
    assert.deepEqual((await collectPages(h.client, '/snis', 2)).map((p) => p.length), [2, 2])
    const first = expectStatus(await h.client.get('/certificates?size=2'), 200)
    assert.equal(first.next, `/certificates?offset=${encodeURIComponent(first.offset)}&size=2`)
    for (const ca of [CA, CA2]) expectStatus(await post('/ca_certificates', { cert: ca.cert }), 201)
    assert.deepEqual((await collectPages(h.client, '/ca_certificates', 1)).map((p) => p.length), [1, 1])
  })

  test('schemas of the certificate entities, and validation without storing', async () => {
    const certs = expectStatus(await h.client.get('/schemas/certificates'), 200)
    assert.deepEqual(certs.fields.map((f: Json) => Object.keys(f)[0]), CERT_FIELDS)
    assert.deepEqual(certs.fields.find((f: Json) => f.snis).snis, { type: 'array', transient: true, elements: { type: 'string' } })
    assert.deepEqual(certs.entity_checks, [{ mutually_required: ['cert_alt', 'key_alt'] }])
    const snis = expectStatus(await h.client.get('/schemas/snis'), 200)
    assert.equal(snis.endpoint_key, 'name')
    assert.deepEqual(snis.fields.find((f: Json) => f.certificate).certificate, {
      type: 'foreign',
      required: true,
      reference: 'certificates',
      on_delete: 'cascade',
    })
    const ca = expectStatus(await h.client.get('/schemas/ca_certificates'), 200)
    assert.deepEqual(ca.fields.map((f: Json) => Object.keys(f)[0]), ['id', 'created_at', 'updated_at', 'cert', 'cert_digest', 'tags'])
    const ok = expectStatus(await post('/schemas/certificates/validate', { cert: RSA.cert, key: RSA.key }), 200)
    assert.deepEqual(ok, { message: 'schema validation successful' })
    const bad = expectStatus(await post('/schemas/certificates/validate', { cert: RSA.cert, key: RSA2.key }), 400)
    assert.equal(bad.message, 'schema violation (certificate does not match key)')
    assert.deepEqual(expectStatus(await h.client.get('/certificates'), 200).data, [], 'nothing stored')
  })
}
